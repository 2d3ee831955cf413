//! `uri` end to end against the GitLab REST double: JSON registered as `json`, a POST with a
//! `PRIVATE-TOKEN` header creating a runner (the token never in output nor on curl's argv),
//! `status_code` lists, a 401 failing with Ansible's message, `--check` skipping, and the shipped
//! `playbooks/tasks/gitlab-runner-create.yml` creating exactly one runner over two runs — on
//! localhost and over SSH on a lab host reaching the double on the lab bridge.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::gitlab_api::GitlabApi;
use crate::support::lab::Lab;
use crate::support::{Project, Run, play_on as play};

const TOKEN: &str = "glpat-Sup3rS3cretAp1Token";

/// A `curl` on PATH that logs its argv to `argv.log` in the project, then runs the real one.
fn curl_spy(p: &Project) -> String {
    let real = String::from_utf8(
        std::process::Command::new("sh").args(["-c", "command -v curl"]).output().expect("sh").stdout,
    )
    .expect("utf8");
    p.write(
        "bin/curl",
        &format!("#!/bin/sh\necho \"$@\" >> {{root}}/argv.log\nexec {} \"$@\"\n", real.trim()),
    );
    fs::set_permissions(p.path("bin/curl"), fs::Permissions::from_mode(0o755)).expect("chmod");
    format!("{}:{}", p.path("bin").display(), std::env::var("PATH").unwrap_or_default())
}

fn clean(r: &Run, secret: &str) {
    assert!(
        !r.stdout.contains(secret) && !r.stderr.contains(secret),
        "secret leaked:\n{}\n{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn uri_get_registers_json_status_and_headers() {
    let api = GitlabApi::start("127.0.0.1", TOKEN);
    let seeded = api.seed("existing-runner", &["docker"]);
    let p = Project::new();
    let tasks = format!(
        r#"    - uri:
        url: {url}/api/v4/runners/all?type=instance_type
        headers:
          PRIVATE-TOKEN: {TOKEN}
      register: listed
    - debug:
        msg: "desc={{{{ listed.json[0].description }}}} status={{{{ listed.status }}}} ct={{{{ listed.content_type }}}} m={{{{ listed.msg }}}} content={{{{ listed.content | default('none') }}}} changed={{{{ listed.changed }}}}"
    - uri:
        url: {url}/api/v4/runners/{id}
        headers:
          PRIVATE-TOKEN: {TOKEN}
        return_content: true
        status_code: [200, 404]
      register: one
    - debug:
        msg: "tags={{{{ one.json.tag_list | join(',') }}}} has_content={{{{ one.content | length > 0 }}}}"
    - uri:
        url: {url}/api/v4/runners/999
        headers:
          PRIVATE-TOKEN: {TOKEN}
        status_code: "200,404"
      register: missing
    - debug:
        msg: "missing={{{{ missing.status }}}} {{{{ missing.json.message }}}}"
"#,
        url = api.url,
        id = seeded.id
    );
    p.write("site.yml", &play("localhost", &tasks));
    let r = p.hearth(&["apply", "site.yml", "-v"]);
    r.code(0)
        .stdout_has("desc=existing-runner status=200 ct=application/json m=OK (")
        .stdout_has("content=none changed=False")
        .stdout_has("tags=docker has_content=True")
        .stdout_has("missing=404 404 Not found");
    assert_eq!(r.recap("localhost", "changed"), 0);
    clean(&r, TOKEN);

    // --check: uri has no check mode, so the task is skipped and nothing is requested.
    let before = api.requests().len();
    let one = format!("    - uri:\n        url: {}/api/v4/runners/all\n", api.url);
    p.write("check.yml", &play("localhost", &one));
    let r = p.hearth(&["apply", "check.yml", "--check", "--json"]);
    r.code(0)
        .stdout_has("remote module (uri) does not support check mode")
        .stdout_has("\"status\":\"skipped\"");
    assert_eq!(api.requests().len(), before, "--check must not send requests");
}

#[test]
fn uri_post_json_creates_a_runner_and_keeps_the_token_off_argv() {
    let api = GitlabApi::start("127.0.0.1", TOKEN);
    let p = Project::new();
    let path = curl_spy(&p);
    let tasks = format!(
        r#"    - uri:
        url: {url}/api/v4/user/runners
        method: POST
        headers:
          PRIVATE-TOKEN: {TOKEN}
        body_format: json
        body:
          runner_type: instance_type
          description: "my runner"
          tag_list: [docker, arm64]
          run_untagged: false
        status_code: 201
      register: created
    - debug:
        msg: "id={{{{ created.json.id }}}} prefix={{{{ created.json.token[:5] }}}} changed={{{{ created.changed }}}}"
"#,
        url = api.url
    );
    p.write("site.yml", &play("localhost", &tasks));
    let r = p.hearth_env(&["apply", "site.yml", "-vvv"], &[("PATH", &path)]);
    r.code(0).stdout_has("id=1 prefix=glrt- changed=False");
    clean(&r, TOKEN);
    let runners = api.runners();
    assert_eq!((api.created(), runners.len()), (1, 1));
    assert_eq!(runners[0].description, "my runner");
    assert_eq!(runners[0].tag_list, ["docker", "arm64"]);
    assert!(!runners[0].run_untagged);
    let argv = p.read("argv.log");
    assert!(argv.contains("-K"), "curl ran without a config: {argv}");
    assert!(
        !argv.contains(TOKEN) && !argv.contains("my runner") && !argv.contains("/api/v4"),
        "argv: {argv}"
    );
}

#[test]
fn uri_unaccepted_status_fails_with_ansibles_message_and_registers() {
    let api = GitlabApi::start("127.0.0.1", TOKEN);
    let p = Project::new();
    let tasks = format!(
        r#"    - uri:
        url: {url}/api/v4/runners/all
        headers:
          PRIVATE-TOKEN: wrong
      register: denied
      ignore_errors: true
    - debug:
        msg: "status={{{{ denied.status }}}} failed={{{{ denied.failed }}}} message={{{{ denied.json.message }}}}"
    - uri:
        url: {url}/api/v4/runners/all
"#,
        url = api.url
    );
    p.write("site.yml", &play("localhost", &tasks));
    let r = p.hearth(&["apply", "site.yml"]);
    r.code(2)
        .stdout_has("Status code was 401 and not [200]: HTTP Error 401: Unauthorized")
        .stdout_has("status=401 failed=True message=401 Unauthorized");
    assert_eq!(r.recap("localhost", "failed"), 1);
    assert_eq!(r.recap("localhost", "ignored"), 1);
}

/// A play that imports the shipped task file and writes the created token where a test can read it.
fn runner_play(host: &str, url: &str, token_file: &str) -> String {
    let tasks_file = concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks/tasks/gitlab-runner-create.yml");
    format!(
        r#"- hosts: {host}
  gather_facts: false
  vars:
    gitlab_url: {url}/
    gitlab_api_token: {TOKEN}
    runner_description: homelab-k8s
    runner_tags: [docker]
  tasks:
    - import_tasks: {tasks_file}
    - copy:
        content: "{{{{ runner_created_token }}}}|{{{{ runner_id }}}}"
        dest: {token_file}
      no_log: true
"#
    )
}

#[test]
fn runner_create_task_file_creates_exactly_one_runner() {
    let api = GitlabApi::start("127.0.0.1", TOKEN);
    api.seed("someone-else", &[]);
    let p = Project::new();
    p.write("site.yml", &runner_play("localhost", &api.url, "{root}/token.txt"));
    let first = p.hearth(&["apply", "site.yml", "-v"]);
    first.code(0);
    let runners = api.runners();
    assert_eq!(api.created(), 1);
    let ours = runners.iter().find(|r| r.description == "homelab-k8s").expect("runner created");
    assert_eq!(ours.tag_list, ["docker"]);
    assert_eq!(p.read("token.txt"), format!("{}|{}", ours.token, ours.id));
    clean(&first, &ours.token);
    clean(&first, TOKEN);

    let second = p.hearth(&["apply", "site.yml", "-v"]);
    second.code(0);
    assert_eq!(api.created(), 1, "the second run must find the runner, not create another");
    assert_eq!(p.read("token.txt"), format!("|{}", ours.id));
    clean(&second, TOKEN);
}

#[test]
fn uri_over_ssh_reaches_the_double_on_the_lab_bridge() {
    let Some(lab) = Lab::get() else { return };
    let api = GitlabApi::start(&lab.gateway(), TOKEN);
    let (i, host) = (1, lab.hosts[1].0.clone());
    let file = format!("/tmp/hearth-uri-{}.txt", std::process::id());
    let p = Project::new();
    p.write("site.yml", &runner_play(&host, &api.url, &file));
    let first = lab.apply(&p, &["site.yml", "-v"]);
    first.code(0);
    assert_eq!(api.created(), 1);
    let ours = api.runners().into_iter().find(|r| r.description == "homelab-k8s").expect("runner");
    assert_eq!(lab.ok(i, "root", &format!("cat {file}")), format!("{}|{}", ours.token, ours.id));
    clean(&first, &ours.token);
    clean(&first, TOKEN);
    lab.apply(&p, &["site.yml"]).code(0);
    assert_eq!(api.created(), 1);
    assert_eq!(lab.ok(i, "root", &format!("cat {file}; rm -f {file}")), format!("|{}", ours.id));
}
