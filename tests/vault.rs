//! Ansible Vault: files and strings written by the real `ansible-vault` decrypt in hearth and the
//! other way round (needs `HEARTH_ANSIBLE_PLAYBOOK`, whose directory holds `ansible-vault`;
//! skipped without it except under `CI=true`), wrong password / corrupted payload / unknown
//! vault id / missing secret errors, and decrypted values masked in every kind of output.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use crate::support::{Project, Run};

/// The secrets the tests encrypt; none may ever appear in hearth's output.
const DB_PASS: &str = "db-pass-7f3a9c";
const TOKEN: &str = "token-91b2e4d0";
const FILE_TEXT: &str = "file-secret-5e8d1a";

/// The `ansible-vault` beside `HEARTH_ANSIBLE_PLAYBOOK`, or `None` to skip (never under CI).
fn ansible_vault() -> Option<PathBuf> {
    match std::env::var_os("HEARTH_ANSIBLE_PLAYBOOK") {
        Some(p) => Some(PathBuf::from(p).with_file_name("ansible-vault")),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but HEARTH_ANSIBLE_PLAYBOOK is unset: .ci/run must install ansible-core")
        }
        None => {
            eprintln!("note: HEARTH_ANSIBLE_PLAYBOOK unset, skipping the ansible-vault comparison");
            None
        }
    }
}

/// Runs ansible-vault in the project.
fn ansible_vault_run(bin: &PathBuf, p: &Project, args: &[&str]) -> Run {
    let out = Command::new(bin)
        .args(args)
        .current_dir(p.dir.path())
        .env_remove("ANSIBLE_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    Run::from(out)
}

/// A project with two password files (`pw.txt`, `other.txt`).
fn project() -> Project {
    let p = Project::new();
    p.write("pw.txt", "correct horse\n").write("other.txt", "battery staple\n");
    p
}

/// Asserts that no secret appears in a run's output.
fn assert_masked(r: &Run) {
    for s in [DB_PASS, TOKEN, FILE_TEXT] {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{s} leaked\n--- stdout\n{}\n--- stderr\n{}",
            r.stdout,
            r.stderr
        );
    }
}

/// `name: !vault |` block for a value, from `hearth vault encrypt_string`.
fn encrypt_string(p: &Project, value: &str, name: &str, id: &[&str]) -> String {
    let mut args = vec!["vault", "encrypt_string", value, "--name", name];
    args.extend_from_slice(id);
    let r = p.hearth(&args);
    r.code(0);
    r.stdout.clone()
}

#[test]
fn ansible_vault_output_decrypts_in_hearth() {
    let Some(av) = ansible_vault() else { return };
    let p = project();
    p.write("vars.yml", &format!("db_pass: {DB_PASS}\n"));
    ansible_vault_run(&av, &p, &["encrypt", "vars.yml", "--vault-password-file", "pw.txt"]).code(0);
    let s =
        ansible_vault_run(&av, &p, &["encrypt_string", TOKEN, "--name", "token", "--vault-id", "dev@pw.txt"]);
    s.code(0);
    assert!(s.stdout.contains("$ANSIBLE_VAULT;1.2;AES256;dev"), "{}", s.stdout);
    p.write("secret.txt", &format!("{FILE_TEXT}\n"));
    ansible_vault_run(&av, &p, &["encrypt", "secret.txt", "--vault-id", "dev@pw.txt"]).code(0);
    p.hearth(&["vault", "view", "vars.yml", "--vault-password-file", "pw.txt"]).code(0).stdout_has(DB_PASS);
    let play = format!(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.yml]\n  vars:\n{}  tasks:\n    \
         - copy: {{ content: \"{{{{ db_pass }}}} {{{{ token }}}}\\n\", dest: \"{{root}}/out.txt\" }}\n    \
         - copy: {{ src: secret.txt, dest: \"{{root}}/plain.txt\" }}\n",
        indent(&s.stdout, 4)
    );
    p.write("play.yml", &play);
    let r =
        p.hearth(&["apply", "play.yml", "-i", "localhost,", "-c", "local", "--vault-id", "dev@pw.txt", "-D"]);
    r.code(0);
    assert_masked(&r);
    assert_eq!(p.read("out.txt"), format!("{DB_PASS} {TOKEN}\n"));
    assert_eq!(p.read("plain.txt"), format!("{FILE_TEXT}\n"));
}

#[test]
fn hearth_vault_output_decrypts_with_ansible_vault() {
    let Some(av) = ansible_vault() else { return };
    let p = project();
    p.write("vars.yml", &format!("db_pass: {DB_PASS}\n"));
    p.hearth(&["vault", "encrypt", "vars.yml", "--vault-password-file", "pw.txt"]).code(0);
    assert!(p.read("vars.yml").starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
    ansible_vault_run(&av, &p, &["view", "vars.yml", "--vault-password-file", "pw.txt"])
        .code(0)
        .stdout_has(DB_PASS);
    let block = encrypt_string(&p, TOKEN, "token", &["--vault-id", "lab@pw.txt"]);
    assert!(block.starts_with("token: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;lab\n"), "{block}");
    // ansible-vault decrypts whole files only: the inline value is checked through a playbook.
    p.write("strings.yml", &block);
    let pb = PathBuf::from(std::env::var_os("HEARTH_ANSIBLE_PLAYBOOK").unwrap_or_default());
    p.write(
        "play.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [strings.yml, vars.yml]\n  tasks:\n    \
         - copy: { content: \"{{ token }} {{ db_pass }}\\n\", dest: \"{root}/out.txt\" }\n",
    );
    let out = Command::new(pb)
        .args(["-i", "localhost,", "-c", "local", "play.yml", "--vault-id", "lab@pw.txt"])
        .current_dir(p.dir.path())
        .env("ANSIBLE_PYTHON_INTERPRETER", av.with_file_name("python3"))
        .env_remove("ANSIBLE_CONFIG")
        .output()
        .expect("run ansible-playbook");
    Run::from(out).code(0);
    assert_eq!(p.read("out.txt"), format!("{TOKEN} {DB_PASS}\n"));
}

/// A playbook whose vars file is vaulted with `pw.txt` under `label` (hearth encrypts it).
fn vaulted_play(p: &Project, label: &str) {
    p.write("vars.yml", &format!("db_pass: {DB_PASS}\n"));
    p.hearth(&["vault", "encrypt", "vars.yml", "--vault-id", &format!("{label}@pw.txt")]).code(0);
    p.write(
        "play.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.yml]\n  tasks:\n    - debug: var=db_pass\n",
    );
}

#[test]
fn wrong_password_is_one_clear_error() {
    let p = project();
    vaulted_play(&p, "default");
    let r = p.hearth(&[
        "apply",
        "play.yml",
        "-i",
        "localhost,",
        "-c",
        "local",
        "--vault-password-file",
        "other.txt",
    ]);
    r.code(4).stderr_has("ERROR! Decryption failed (no vault secrets were found that could decrypt) on ");
    r.stderr_has("vars.yml");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_masked(&r);
}

#[test]
fn corrupted_payload_and_unknown_vault_id() {
    let p = project();
    vaulted_play(&p, "prod");
    let r =
        p.hearth(&["apply", "play.yml", "-i", "localhost,", "-c", "local", "--vault-id", "dev@other.txt"]);
    r.code(4).stderr_has("encrypted for vault id 'prod'").stderr_has("given vault ids are: dev");
    let text = p.read("vars.yml");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[2] = format!("zz{}", &lines[2][2..]);
    p.write("vars.yml", &(lines.join("\n") + "\n"));
    let r = p.hearth(&["apply", "play.yml", "-i", "localhost,", "-c", "local", "--vault-id", "prod@pw.txt"]);
    r.code(4).stderr_has("vars.yml: the vault payload is corrupted");
    assert_masked(&r);
}

#[test]
fn vaulted_content_without_a_secret() {
    let p = project();
    vaulted_play(&p, "default");
    let r = p.hearth(&["apply", "play.yml", "-i", "localhost,", "-c", "local"]);
    r.code(4)
        .stderr_has("found vaulted content in ")
        .stderr_has("vars.yml but no vault secret was given (use --vault-password-file");
}

#[test]
fn vaulted_group_vars_and_vault_values_are_masked_in_all_output() {
    let p = project();
    p.write("inventory/hosts.yml", "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n");
    p.write("inventory/group_vars/all.yml", &format!("db_pass: {DB_PASS}\n"));
    p.hearth(&["vault", "encrypt", "inventory/group_vars/all.yml", "--vault-password-file", "pw.txt"])
        .code(0);
    p.write("files/secret.conf", &format!("key = {FILE_TEXT}\n"));
    p.hearth(&["vault", "encrypt", "files/secret.conf", "--vault-password-file", "pw.txt"]).code(0);
    p.write("templates/t.j2", "db={{ db_pass }}\n");
    let token = encrypt_string(&p, TOKEN, "token", &["--vault-password-file", "pw.txt"]);
    p.write(
        "play.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  vars:\n{}  tasks:\n    \
             - debug: msg=\"token is {{{{ token }}}} and db is {{{{ db_pass }}}}\"\n    \
             - copy: {{ content: \"t={{{{ token }}}}\\n\", dest: \"{{root}}/out/c.txt\" }}\n    \
             - template: {{ src: t.j2, dest: \"{{root}}/out/t.txt\" }}\n    \
             - copy: {{ src: secret.conf, dest: \"{{root}}/out/secret.conf\" }}\n    \
             - copy: {{ src: secret.conf, dest: \"{{root}}/out/raw.conf\", decrypt: false }}\n    \
             - fail: msg=\"failing with {{{{ token }}}}\"\n",
            indent(&token, 4)
        ),
    );
    p.write("out/.keep", "");
    for extra in [&["-vv", "-D"][..], &["--json", "-D"][..]] {
        let mut args = vec!["apply", "play.yml", "--vault-password-file", "pw.txt"];
        args.extend_from_slice(extra);
        let r = p.hearth(&args);
        r.code(2).stdout_has("********");
        assert_masked(&r);
    }
    assert_eq!(p.read("out/c.txt"), format!("t={TOKEN}\n"));
    assert_eq!(p.read("out/t.txt"), format!("db={DB_PASS}\n"));
    assert_eq!(p.read("out/secret.conf"), format!("key = {FILE_TEXT}\n"));
    assert!(p.read("out/raw.conf").starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
    let r = p.hearth(&["inventory", "--list", "--vault-password-file", "pw.txt"]);
    r.code(0).stdout_has("********");
    assert_masked(&r);
}

#[test]
fn password_scripts_env_and_in_place_rewrites() {
    let p = project();
    p.write("pw.sh", "#!/bin/sh\necho 'correct horse'\n");
    std::fs::set_permissions(p.path("pw.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    vaulted_play(&p, "default");
    std::fs::set_permissions(p.path("vars.yml"), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let args = ["apply", "play.yml", "-i", "localhost,", "-c", "local"];
    let r = p.hearth_env(&args, &[("ANSIBLE_VAULT_PASSWORD_FILE", "pw.sh")]);
    r.code(0).stdout_has("\"db_pass\": \"********\"");
    p.hearth(&["vault", "decrypt", "vars.yml", "--vault-password-file", "pw.sh"]).code(0);
    assert_eq!(p.read("vars.yml"), format!("db_pass: {DB_PASS}\n"));
    assert_eq!(p.mode("vars.yml"), 0o640);
    let r = p.hearth(&["vault", "decrypt", "vars.yml", "--vault-password-file", "pw.sh"]);
    r.code(1).stderr_has("vars.yml: input is not vault encrypted data");
    p.hearth(&["vault", "encrypt", "vars.yml", "--output", "enc.yml", "--vault-password-file", "pw.txt"])
        .code(0);
    assert_eq!(p.mode("enc.yml"), 0o600);
    p.hearth(&["vault", "encrypt", "enc.yml", "--vault-password-file", "pw.txt"])
        .code(1)
        .stderr_has("already encrypted");
}

/// Text indented by `n` spaces, line by line.
fn indent(text: &str, n: usize) -> String {
    text.lines().map(|l| format!("{}{l}\n", " ".repeat(n))).collect()
}

#[test]
fn every_loader_decrypts_roles_include_vars_host_vars_inventory_and_extra_vars() {
    let p = project();
    let ring = ["--vault-password-file", "pw.txt"];
    let inline = |name: &str, value: &str| encrypt_string(&p, value, name, &ring);
    p.write(
        "inventory/hosts.yml",
        &format!(
            "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n{}",
            indent(&inline("inv_value", "inventory-9a1"), 6)
        ),
    );
    p.write("inventory/host_vars/localhost.yml", "hv_value: host-vars-2b7\n");
    p.write("inc.yml", "inc_value: include-vars-3c8\n");
    p.write("extra.yml", "extra_value: extra-vars-4d9\n");
    p.write("roles/r/defaults/main.yml", &inline("role_default", "role-default-5ea"));
    p.write("roles/r/vars/main.yml", "role_var: role-vars-6fb\n");
    p.write("roles/r/tasks/main.yml", "- include_vars: \"{{ playbook_dir }}/inc.yml\"\n- copy:\n    dest: \"{root}/out.txt\"\n    content: \"{{ [inv_value, hv_value, inc_value, extra_value, role_default, role_var] | join(' ') }}\\n\"\n");
    for f in ["inventory/host_vars/localhost.yml", "inc.yml", "extra.yml", "roles/r/vars/main.yml"] {
        p.hearth(&["vault", "encrypt", f, ring[0], ring[1]]).code(0);
    }
    p.write("play.yml", "- hosts: all\n  gather_facts: false\n  roles: [r]\n");
    let r = p.hearth(&["apply", "play.yml", "-e", "@extra.yml", "-v", ring[0], ring[1]]);
    r.code(0);
    assert_eq!(
        p.read("out.txt"),
        "inventory-9a1 host-vars-2b7 include-vars-3c8 extra-vars-4d9 role-default-5ea role-vars-6fb\n"
    );
    for s in [
        "inventory-9a1",
        "host-vars-2b7",
        "include-vars-3c8",
        "extra-vars-4d9",
        "role-default-5ea",
        "role-vars-6fb",
    ] {
        assert!(!r.stdout.contains(s) && !r.stderr.contains(s), "{s} leaked\n{}", r.stdout);
    }
}

#[test]
fn rekey_changes_the_secret_in_place() {
    let p = project();
    vaulted_play(&p, "default");
    std::fs::set_permissions(p.path("vars.yml"), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let args =
        ["vault", "rekey", "vars.yml", "--vault-password-file", "pw.txt", "--new-vault-id", "new@other.txt"];
    p.hearth(&args).code(0);
    assert!(p.read("vars.yml").starts_with("$ANSIBLE_VAULT;1.2;AES256;new\n"));
    assert_eq!(p.mode("vars.yml"), 0o640);
    p.hearth(&["vault", "view", "vars.yml", "--vault-password-file", "other.txt"])
        .code(0)
        .stdout_has(DB_PASS);
    let r = p.hearth(&["vault", "view", "vars.yml", "--vault-password-file", "pw.txt"]);
    r.code(1).stderr_has("Decryption failed");
    assert_masked(&r);
}
