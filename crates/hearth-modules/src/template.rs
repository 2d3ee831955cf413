//! `template`: render a Jinja template from the control node (relative `src` searched in
//! `templates/`) and place the result like `copy` does, with Ansible's extra variables
//! (`ansible_managed`, `template_path`, `template_host`, ...) and whitespace/delimiter options.
//! A `#jinja2:` first line overrides the options (see `template::jinja_header`).
//! `newline_sequence` other than `\n` is applied to the whole output (Jinja2 applies it to the
//! template text only); `output_encoding` must be UTF-8; `{% include %}` relies on the
//! templar's loader, not on a per-template search path.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Deserialize;

use super::fileedit::{basename, join};
use super::put::{self, Placement};
use crate::module::{Ctx, Module, ModuleError, Plan};
use hearth_formats::value::Value;
use hearth_template::jinja_header::{JinjaSettings, newline, restore_trailing_newlines};
use hearth_transport::{Attrs, FileKind};

/// Ansible's default `ansible_managed` string (`DEFAULT_MANAGED_STR`).
pub const ANSIBLE_MANAGED: &str = "Ansible managed";

crate::file_attrs::file_params! {
    /// Parameters of `template`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Template {
        /// The template on the control node (relative paths searched in `templates/`).
        pub src: String,
        /// Where to write; an existing directory or a path ending in `/` receives the file inside.
        pub dest: String,
        ..FileAttrs,
        /// Keep a timestamped copy of a file that is replaced.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub backup: bool,
        /// Replace a file whose content differs; with `false` only missing files are written.
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub force: bool,
        /// Command with `%s` that must accept the rendered file before it replaces `dest`.
        pub validate: Option<String>,
        /// Write through a symbolic link at `dest` instead of replacing it.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub follow: bool,
        /// Line ending of the output: `\n` (default), `\r` or `\r\n`.
        pub newline_sequence: Option<String>,
        /// Remove the first newline after a block tag (Ansible's default: yes).
        #[serde(default = "yes", deserialize_with = "super::args::de_bool")]
        pub trim_blocks: bool,
        /// Strip spaces and tabs before a block tag at the start of a line.
        #[serde(default, deserialize_with = "super::args::de_bool")]
        pub lstrip_blocks: bool,
        /// Block start delimiter (default `{%`).
        pub block_start_string: Option<String>,
        /// Block end delimiter (default `%}`).
        pub block_end_string: Option<String>,
        /// Variable start delimiter (default `{{`).
        pub variable_start_string: Option<String>,
        /// Variable end delimiter (default `}}`).
        pub variable_end_string: Option<String>,
        /// Comment start delimiter (default `{#`).
        pub comment_start_string: Option<String>,
        /// Comment end delimiter (default `#}`).
        pub comment_end_string: Option<String>,
        /// Only `utf-8` is supported.
        pub output_encoding: Option<String>,
        ..UnsafeWrites,
    }
}

fn yes() -> bool {
    true
}

impl Module for Template {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        let mut settings = self.settings()?;
        if let Some(enc) = self.output_encoding.as_deref().filter(|e| !is_utf8(e)) {
            return Err(ModuleError::msg(format!("output_encoding {enc} is not supported (only utf-8)")));
        }
        let path = ctx
            .search
            .find("templates", &self.src)
            .ok_or_else(|| ModuleError::msg(format!("Could not find or access '{}'", self.src)))?;
        let shown = path.display().to_string();
        let raw = std::fs::read(&path).map_err(|e| ModuleError::msg(format!("{shown}: {e}")))?;
        let raw =
            hearth_formats::vault::decrypt_source(raw, &path).map_err(|e| ModuleError::msg(e.to_string()))?;
        let text = String::from_utf8(raw).map_err(|e| {
            let bad = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..bad].iter().filter(|b| **b == b'\n').count() + 1;
            ModuleError::msg(format!("{shown}:{line}: Template source files must be utf-8 encoded"))
        })?;
        let meta = std::fs::metadata(&path).map_err(|e| ModuleError::msg(format!("{shown}: {e}")))?;
        let vars = template_vars(&self.src, &path, &self.dest, &meta);
        let merged = minijinja::value::merge_maps([vars, ctx.vars.clone()]);
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let body = settings.apply_header(&text).map_err(|e| ModuleError::msg(format!("{shown}: {e}")))?;
        let syntax =
            settings.syntax().map_err(|e| ModuleError::msg(format!("invalid template delimiters: {e}")))?;
        let header_lines = text[..text.len() - body.len()].matches('\n').count();
        let rendered = ctx.templar.render_file(
            (&shown, header_lines + 1),
            body,
            &merged,
            syntax,
            &settings.delimiters(),
        )?;
        let rendered = restore_trailing_newlines(&text, rendered);
        let newline = settings.newline_sequence;
        let rendered = if newline == "\n" { rendered } else { rendered.replace('\n', newline) };
        let (dest, parents) = self.resolve_dest(ctx)?;
        let mode = match &self.mode {
            Some(Value::String(s)) if s == "preserve" => {
                Some(format!("0{:03o}", meta.mode() & 0o7777).into())
            }
            other => other.clone(),
        };
        let placement = Placement {
            after_header: self.src.clone(),
            dest,
            content: rendered.into_bytes(),
            mode,
            owner: self.owner.clone(),
            group: self.group.clone(),
            backup: self.backup,
            force: self.force,
            follow: self.follow,
            validate: self.validate.clone(),
            make_parents: parents.then(|| Attrs {
                mode: None,
                owner: self.owner.clone(),
                group: self.group.clone(),
            }),
        };
        Ok(put::plan_put(ctx, placement)?.with("src", shown))
    }
}

impl Template {
    /// The Jinja settings for this task: Ansible's defaults plus the whitespace and delimiter
    /// options (a `#jinja2:` header in the file may still override them).
    fn settings(&self) -> Result<JinjaSettings, ModuleError> {
        let mut s = JinjaSettings::default();
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        };
        set(&mut s.block.0, &self.block_start_string);
        set(&mut s.block.1, &self.block_end_string);
        set(&mut s.variable.0, &self.variable_start_string);
        set(&mut s.variable.1, &self.variable_end_string);
        set(&mut s.comment.0, &self.comment_start_string);
        set(&mut s.comment.1, &self.comment_end_string);
        s.trim_blocks = self.trim_blocks;
        s.lstrip_blocks = self.lstrip_blocks;
        s.newline_sequence = newline_sequence(self.newline_sequence.as_deref())?;
        Ok(s)
    }

    /// Like `copy`: inside `dest` when it ends with `/` or is a directory.
    fn resolve_dest(&self, ctx: &Ctx) -> Result<(String, bool), ModuleError> {
        let name = basename(&self.src);
        if self.dest.ends_with('/') {
            return Ok((join(&self.dest, name), true));
        }
        let is_dir = ctx.host.stat(&self.dest, self.follow)?.is_some_and(|s| s.kind == FileKind::Directory);
        Ok((if is_dir { join(&self.dest, name) } else { self.dest.clone() }, false))
    }
}

/// Validates `newline_sequence`, accepting the escaped forms Ansible accepts (`"\\n"`).
pub fn newline_sequence(v: Option<&str>) -> Result<&'static str, ModuleError> {
    v.map_or(Some("\n"), newline)
        .ok_or_else(|| ModuleError::msg("newline_sequence needs to be one of: \\n, \\r or \\r\\n"))
}

fn is_utf8(enc: &str) -> bool {
    matches!(enc.to_ascii_lowercase().replace(['-', '_'], "").as_str(), "utf8")
}

/// Ansible's extra template variables (`generate_ansible_template_vars`).
fn template_vars(src: &str, path: &Path, dest: &str, meta: &std::fs::Metadata) -> minijinja::Value {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let uid = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(meta.uid()))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| meta.uid().to_string());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let fullpath = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    minijinja::context! {
        ansible_managed => ANSIBLE_MANAGED,
        template_host => host,
        template_path => src,
        template_fullpath => fullpath.display().to_string(),
        template_uid => uid,
        template_mtime => py_datetime(meta.mtime(), u32::try_from(meta.mtime_nsec() / 1000).unwrap_or(0)),
        template_run_date => py_datetime(now.as_secs() as i64, now.subsec_micros()),
        template_destpath => dest,
    }
}

/// Python's `str(datetime)` in local time: `2024-01-02 03:04:05[.123456]` (UTC when `secs` is
/// out of range).
pub fn py_datetime(secs: i64, micros: u32) -> String {
    let utc = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let base = utc.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string();
    if micros == 0 { base } else { format!("{base}.{micros:06}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::put::testing::Env;
    use serde_json::json;

    #[test]
    fn renders_with_ansible_defaults_and_is_idempotent() {
        let env = Env::new();
        env.write(
            "templates/motd.j2",
            "# {{ ansible_managed }}\n{% for i in items %}\n{{ who }} {{ i }}\n{% endfor %}\n",
        );
        let args = json!({"src": "motd.j2", "dest": env.path("motd"), "mode": "0644"});
        let run = env.run::<Template>(args.clone()).unwrap();
        assert!(run.changed);
        assert_eq!(env.read("motd"), "# Ansible managed\nworld 1\nworld 2\n");
        let d = &run.diffs[0];
        assert_eq!((d.before_header.as_str(), d.after_header.as_str()), ("", "motd.j2"));
        assert!(!env.run::<Template>(args).unwrap().changed);
        env.write("templates/motd.j2", "changed\n");
        let run = env.run::<Template>(json!({"src": "motd.j2", "dest": env.path("motd")})).unwrap();
        assert_eq!(run.diffs[0].before_header, env.path("motd"));
    }

    #[test]
    fn whitespace_matches_ansible_output() {
        // Output of ansible-core 2.18's template module for the same template.
        let env = Env::new();
        let text = "# {{ ansible_managed }}\n{% for i in [1,2] %}\n  {% if i %}\nv{{ i }}\n  {% endif %}\n{% endfor %}\nend\n";
        env.write("templates/t.j2", text);
        env.run::<Template>(json!({"src": "t.j2", "dest": env.path("out")})).unwrap();
        assert_eq!(env.read("out"), "# Ansible managed\n  v1\n    v2\n  end\n");
    }

    #[test]
    fn template_vars_and_options() {
        let env = Env::new();
        env.write(
            "templates/t.j2",
            "[% if true %]\n<< template_path >> -> << template_destpath >>\n[% endif %]\n",
        );
        std::fs::create_dir(env.path("out")).unwrap();
        let args = json!({"src": "t.j2", "dest": env.path("out"), "block_start_string": "[%",
            "block_end_string": "%]", "variable_start_string": "<<", "variable_end_string": ">>",
            "newline_sequence": "\\r\\n"});
        assert!(env.run::<Template>(args).unwrap().changed);
        assert_eq!(env.read("out/t.j2"), format!("t.j2 -> {}\r\n", env.path("out")));
    }

    #[test]
    fn jinja2_header_and_trailing_newlines_match_ansible() {
        // (template, what ansible-core 2.18 wrote), with who = "world".
        let cases = [
            ("{{ who ~ '\\n' }}\n", "world\n"),
            ("#jinja2: keep_trailing_newline: True\n{{ who ~ '\\n' }}\n", "world\n\n"),
            (
                "#jinja2: lstrip_blocks: True\nstart\n    {% if true %}\n  x\n    {% endif %}\nend\n",
                "start\n  x\nend\n",
            ),
            (
                "#jinja2: trim_blocks: False, newline_sequence: '\\r\\n', variable_start_string: '[[', \
                 variable_end_string: ']]'\n[[ who ]]\n{% if 1 %}\nA\n{% endif %}\n",
                "world\r\n\r\nA\r\n",
            ),
            ("#jinja2: line_statement_prefix: '%'\n% for i in [1]\n{{i}}\n% endfor\n", "1\n"),
            ("#jinja2: lstrip_blocks: True, bogus: 1\nz\n", "z\n"),
        ];
        let env = Env::new();
        for (i, (text, want)) in cases.iter().enumerate() {
            env.write("templates/h.j2", text);
            let dest = env.path(&format!("out{i}"));
            env.run::<Template>(json!({"src": "h.j2", "dest": dest})).unwrap();
            assert_eq!(env.read(&format!("out{i}")), *want, "{text:?}");
        }
        env.write("templates/h.j2", "#jinja2: lstrip_blocks: yes\nz\n");
        let err = env.run::<Template>(json!({"src": "h.j2", "dest": env.path("x")})).err().unwrap();
        assert!(err.to_string().contains("h.j2") && err.to_string().contains("literal"), "{err}");
    }

    #[test]
    fn render_errors_name_the_template() {
        let env = Env::new();
        env.write("templates/bad.j2", "{{ nope }}\n");
        let err = env.run::<Template>(json!({"src": "bad.j2", "dest": env.path("x")})).err().unwrap();
        assert!(err.to_string().contains("bad.j2"), "{err}");
        assert!(err.to_string().contains("undefined"), "{err}");
        let err = env.run::<Template>(json!({"src": "missing.j2", "dest": env.path("x")})).err().unwrap();
        assert!(err.to_string().contains("missing.j2"), "{err}");
    }

    #[test]
    fn python_datetime_shape() {
        let s = py_datetime(0, 5);
        assert_eq!(s.len(), "1970-01-01 00:00:00.000005".len());
        assert!(py_datetime(0, 0).len() == 19);
    }
}
