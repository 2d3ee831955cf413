//! The whole homelab stack on a lab of its own (issue 6's end-to-end test): host 1 is the GitLab
//! host (recording `gitlab-ctl` stand-in, a stock gitlab.rb), hosts 2 and 3 are the builders
//! (docker.io from the local signed apt repository), the lab's Kubernetes API double holds the
//! runner objects. The shipped playbooks, templates and group_vars run unchanged; the test only
//! adds an inventory naming the lab's hosts and points the knobs at the lab.

use serde_json::Value;

use crate::support::aptrepo::AptRepo;
use crate::support::gitlab_api::GitlabApi;
use crate::support::kube::get;
use crate::support::lab::Lab;
use crate::support::{Project, Run};

const TOKEN: &str = "glrt-e2e-first-token";
const TOKEN2: &str = "glrt-e2e-rotated-token";
const GITLAB_RB: &str = "external_url 'http://gitlab.lan'\n\
# gitlab_rails['initial_shared_runners_registration_token'] = \"token\"\n\
# gitlab_rails['other'] = true\n";
const LABEL: &str = "hearth.dev/docker-builder";

struct Stack {
    lab: Lab,
    p: Project,
    extra: Vec<String>,
}

impl Stack {
    fn start(shared: &Lab) -> Stack {
        let pid = std::process::id().to_string();
        let lab = Lab::start(&format!("e2e-{pid}"), 3, Some(&pid));
        let repo = AptRepo::get(shared);
        let url = repo.url_on(&lab);
        let p = Project::new();
        // The shipped playbooks, templates and group_vars, as the binary embeds them for the demo.
        hearth::lab::shipped::write_all(&p.path("")).expect("write the shipped files");
        let name = |i: usize| lab.hosts[i].0.clone();
        p.write("inventory/lab.yml", &std::fs::read_to_string(&lab.inventory).expect("lab inventory"));
        p.write(
            "inventory/stack.yml",
            &format!(
                "gitlab:\n  hosts:\n    {}:\nbuilders:\n  hosts:\n    {}:\n    {}:\n",
                name(0),
                name(1),
                name(2)
            ),
        );
        p.write(
            "inventory/group_vars/builders.yml",
            &format!("docker_apt_repo_url: {url}\ndocker_packages: [docker.io]\ndocker_insecure_registries: [\"gitlab.lan:5050\"]\n"),
        );
        lab.ok(
            0,
            "root",
            &format!(
                "mkdir -p /etc/gitlab && printf '%s' \"{}\" > /etc/gitlab/gitlab.rb",
                GITLAB_RB.replace('"', "\\\"")
            ),
        );
        let extra = vec![
            "-e".to_string(),
            format!("k8s_kubeconfig={}", lab.kubeconfig.display()),
            "-e".to_string(),
            "gitlab_url=http://gitlab.lan".to_string(),
        ];
        Stack { lab, p, extra }
    }

    fn hearth(&self, cmd: &str, playbook: Option<&str>, token: &str, more: &[&str]) -> Run {
        let mut args: Vec<&str> = vec![cmd];
        args.extend(playbook);
        args.extend(["-i", "inventory"]);
        args.extend(self.extra.iter().map(String::as_str));
        args.extend_from_slice(more);
        self.p.hearth_env(&args, &[("HEARTH_RUNNER_TOKEN", token)])
    }

    fn object(&self, api: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<Value> {
        get(&self.lab.kubeconfig, api, kind, ns, name)
    }

    fn deployment(&self) -> Value {
        self.object("apps/v1", "Deployment", Some("gitlab-runner"), "gitlab-runner").expect("the Deployment")
    }

    fn reconfigures(&self) -> usize {
        let log = self.lab.ssh(0, "root", "cat /var/log/hearth-standin/gitlab-ctl.log 2>/dev/null");
        String::from_utf8_lossy(&log.stdout).lines().filter(|l| *l == "reconfigure").count()
    }

    fn gitlab_rb(&self) -> String {
        self.lab.ok(0, "root", "cat /etc/gitlab/gitlab.rb")
    }

    fn node_label(&self, i: usize) -> Option<String> {
        let node = self.object("v1", "Node", None, &self.lab.hosts[i].0).expect("lab node");
        node["metadata"]["labels"][LABEL].as_str().map(str::to_string)
    }
}

fn no_token(run: &Run, token: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(token);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(token) && !text.contains(&b64), "the token leaked:\n{text}");
    }
}

fn every_host_unchanged(s: &Stack, run: &Run) {
    for (host, _) in &s.lab.hosts {
        assert_eq!(run.recap(host, "changed"), 0, "{host}:\n{}", run.stdout);
    }
    assert_eq!(run.recap("localhost", "changed"), 0, "localhost:\n{}", run.stdout);
}

#[test]
fn the_stack_bootstraps_converges_rotates_and_plans() {
    let Some(shared) = Lab::get() else { return };
    let s = Stack::start(shared);

    // 1. Bootstrap.
    let first = s.hearth("apply", None, TOKEN, &[]);
    first.code(0);
    no_token(&first, TOKEN);
    for i in [1, 2] {
        let status = s.lab.ok(i, "root", "dpkg-query -W -f '${Status}' docker.io");
        assert_eq!(status, "install ok installed");
        assert!(s.lab.ok(i, "root", "cat /etc/docker/daemon.json").contains("gitlab.lan:5050"));
        assert_eq!(s.node_label(i).as_deref(), Some("true"), "builder node labelled:\n{}", first.stdout);
    }
    assert_eq!(s.node_label(0), None, "the GitLab host's node is not a builder");
    let rb = s.gitlab_rb();
    assert_eq!(rb.matches("initial_shared_runners_registration_token").count(), 1, "{rb}");
    assert!(rb.contains(&format!("gitlab_rails['initial_shared_runners_registration_token'] = '{TOKEN}'")));
    let backups = s.lab.ok(0, "root", "ls /etc/gitlab | grep -c '^gitlab.rb\\.' || true");
    assert_eq!(backups, "1", "one backup of gitlab.rb");
    assert_eq!(s.reconfigures(), 1);

    let secret = s.object("v1", "Secret", Some("gitlab-runner"), "gitlab-runner-token").expect("the Secret");
    use base64::Engine;
    assert_eq!(secret["data"]["token"], base64::engine::general_purpose::STANDARD.encode(TOKEN));
    let d = s.deployment();
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(spec["nodeSelector"][LABEL], "true");
    let init = &spec["initContainers"][0];
    let args: Vec<&str> =
        init["command"].as_array().expect("command").iter().filter_map(Value::as_str).collect();
    for want in [
        "register",
        "--non-interactive",
        "--url=http://gitlab.lan",
        "--executor=docker",
        "--docker-network-mode=host",
        "--docker-volumes=/var/run/docker.sock:/var/run/docker.sock",
    ] {
        assert!(args.contains(&want), "{want} missing in {args:?}");
    }
    assert!(!args.iter().any(|a| a.starts_with("--tag-list")), "no server-side flags with a glrt- token");
    assert!(!d.to_string().contains(TOKEN), "the token is only in the Secret");
    assert_eq!(init["env"][0]["name"], "CI_SERVER_TOKEN");
    let runner = &spec["containers"][0];
    assert_eq!(runner["lifecycle"]["preStop"]["exec"]["command"][1], "unregister");
    let volumes = spec["volumes"].to_string();
    assert!(volumes.contains("\"/var/run/docker.sock\""), "{volumes}");
    let checksum =
        d["spec"]["template"]["metadata"]["annotations"]["hearth.dev/registration-checksum"].clone();
    assert!(checksum.as_str().is_some_and(|c| c.len() == 64), "{checksum}");
    assert_eq!(d["status"]["availableReplicas"], 2, "the rollout was waited for");
    let generation = d["metadata"]["generation"].clone();

    // 2. Re-run: nothing changes anywhere.
    let again = s.hearth("apply", None, TOKEN, &[]);
    again.code(0);
    every_host_unchanged(&s, &again);
    assert_eq!(s.reconfigures(), 1, "no reconfigure on a re-run");
    assert_eq!(s.deployment()["metadata"]["generation"], generation, "no new generation");

    // 3. A new token: gitlab.rb, one reconfigure, the Secret, and a rollout (new checksum).
    let rotated = s.hearth("apply", None, TOKEN2, &[]);
    rotated.code(0);
    no_token(&rotated, TOKEN2);
    assert!(s.gitlab_rb().contains(TOKEN2));
    assert_eq!(s.reconfigures(), 2);
    let secret = s.object("v1", "Secret", Some("gitlab-runner"), "gitlab-runner-token").expect("the Secret");
    assert_eq!(secret["data"]["token"], base64::engine::general_purpose::STANDARD.encode(TOKEN2));
    let d = s.deployment();
    assert_ne!(d["metadata"]["generation"], generation, "the pods roll");
    assert_ne!(
        d["spec"]["template"]["metadata"]["annotations"]["hearth.dev/registration-checksum"],
        checksum
    );

    // 4. Drift: gitlab.rb edited by hand and the Deployment scaled; a plan shows both, changes nothing.
    s.lab.ok(0, "root", "sed -i \"s/= '.*'$/= 'hand-edited'/\" /etc/gitlab/gitlab.rb");
    scale(&s, 5);
    let plan = s.hearth("plan", None, TOKEN2, &[]);
    plan.code(0);
    no_token(&plan, TOKEN2);
    plan.stdout_has("hand-edited").stdout_has("+  replicas: 2").stdout_has("-  replicas: 5");
    assert!(s.gitlab_rb().contains("hand-edited"), "plan changed gitlab.rb");
    assert_eq!(s.deployment()["spec"]["replicas"], 5, "plan changed the Deployment");
    assert_eq!(s.reconfigures(), 2);

    // 5. A builder without Docker: the cross-check names it and nothing is applied.
    s.p.write("inventory/more.yml", &format!("builders:\n  hosts:\n    {}:\n", s.lab.hosts[0].0));
    let generation = s.deployment()["metadata"]["generation"].clone();
    let refused = s.hearth("apply", Some("playbooks/runner.yml"), TOKEN2, &[]);
    refused.code(2).stdout_has(&format!("build nodes without Docker: {}", s.lab.hosts[0].0));
    assert_eq!(s.node_label(0), None, "nothing labelled");
    assert_eq!(s.deployment()["metadata"]["generation"], generation, "nothing applied");
    std::fs::remove_file(s.p.path("inventory/more.yml")).expect("remove more.yml");

    // 6. The runner created through GitLab's REST API (a double): exactly once, its token only
    //    in the Secret.
    let api = GitlabApi::start("127.0.0.1", "admin-pat-e2e");
    let via_api = ["-e", "runner_create_via_api=true", "-e", "gitlab_api_token=admin-pat-e2e"];
    let gitlab = format!("gitlab_url={}", api.url);
    let args: Vec<&str> = via_api.iter().copied().chain(["-e", gitlab.as_str()]).collect();
    let created = s.hearth("apply", Some("playbooks/runner.yml"), "", &args);
    created.code(0);
    assert_eq!(api.created(), 1, "one runner created");
    let token = api.runners()[0].token.clone();
    assert!(token.starts_with("glrt-"), "{token}");
    no_token(&created, &token);
    no_token(&created, "admin-pat-e2e");
    let secret = s.object("v1", "Secret", Some("gitlab-runner"), "gitlab-runner-token").expect("the Secret");
    assert_eq!(secret["data"]["token"], base64::engine::general_purpose::STANDARD.encode(&token));
    assert!(!s.deployment().to_string().contains(&token), "the token is only in the Secret");
    let generation = s.deployment()["metadata"]["generation"].clone();

    let reused = s.hearth("apply", Some("playbooks/runner.yml"), "", &args);
    reused.code(0);
    assert_eq!(api.created(), 1, "no second runner");
    assert_eq!(reused.recap("localhost", "changed"), 0, "{}", reused.stdout);
    let secret = s.object("v1", "Secret", Some("gitlab-runner"), "gitlab-runner-token").expect("the Secret");
    assert_eq!(secret["data"]["token"], base64::engine::general_purpose::STANDARD.encode(&token), "kept");
    assert_eq!(s.deployment()["metadata"]["generation"], generation, "no rollout");
}

/// Scales the Deployment by hand, as someone with kubectl would (another field manager).
fn scale(s: &Stack, replicas: u32) {
    let kc = s.lab.kubeconfig.display().to_string();
    let patch = format!("{{\"spec\":{{\"replicas\":{replicas}}}}}");
    let out = std::process::Command::new("kubectl")
        .args(["--kubeconfig", &kc, "-n", "gitlab-runner", "patch", "deployment/gitlab-runner"])
        .args(["--type", "merge", "-p", &patch])
        .output()
        .expect("kubectl");
    assert!(out.status.success(), "kubectl scale: {}", String::from_utf8_lossy(&out.stderr));
}
