//! The file-attribute parameters (Ansible's `add_file_common_args` as far as hearth takes them:
//! `mode`, `owner`, `group`, `unsafe_writes`), declared once for every module that manages a
//! file, and the one way they are resolved against a path and applied to it on the host.
//!
//! The fields are spliced into each module's own parameter struct by `file_params!` rather
//! than nested with `#[serde(flatten)]`: flattening turns off `deny_unknown_fields` and hides the
//! field names from `serde_introspect`, which the "unsupported parameter" errors and the README
//! check are built from. Splicing keeps one flat serde struct per module, its parameters in the
//! order users see them. SELinux contexts and `attributes` (chattr) are not taken.

use hearth_formats::value::Value;
use hearth_transport::{Attrs, FileStat, Transport};

use crate::module::ModuleError;

use super::mode;

/// The `mode`/`owner`/`group` a task asked for, borrowed from its parameters; symbolic modes are
/// resolved per path because they depend on the path's current mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileAttrs<'a> {
    /// Raw `mode` (octal, integer or symbolic).
    pub mode: Option<&'a Value>,
    /// Owner name or id.
    pub owner: Option<&'a str>,
    /// Group name or id.
    pub group: Option<&'a str>,
}

impl FileAttrs<'_> {
    /// The attributes to enforce on a path that has `current` (None: it is about to be created).
    pub fn resolve(&self, current: Option<&FileStat>) -> Result<Attrs, ModuleError> {
        mode::attrs(self.mode, self.owner, self.group, current).map_err(ModuleError::msg)
    }

    /// True when any attribute was asked for.
    pub fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }
}

/// Sets resolved attributes on `path` through the transport when they differ from `have`, the
/// path's current stat; says whether anything was set.
pub fn apply(host: &dyn Transport, path: &str, want: &Attrs, have: &FileStat) -> Result<bool, ModuleError> {
    if !mode::attrs_differ(have, want) {
        return Ok(false);
    }
    host.set_attrs(path, want)?;
    Ok(true)
}

/// Declares a module's parameter struct with the shared file-attribute fields spliced in where
/// the markers stand: `..FileAttrs,` becomes `mode`, `owner`, `group`; `..UnsafeWrites,` becomes
/// `unsafe_writes`. Also generates `fn file_attrs(&self) -> FileAttrs` when `..FileAttrs,` is
/// used. Every field must end with a comma.
macro_rules! file_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::file_attrs::file_params!(@munch [$(#[$meta])*] $name [] [] $($body)*);
    };
    (@munch $metas:tt $name:ident [$($done:tt)*] [$($acc:tt)*] ..FileAttrs, $($rest:tt)*) => {
        $crate::file_attrs::file_params!(@munch $metas $name [$($done)*
            /// Permissions: octal, integer or symbolic (`copy` and `template` also take `preserve`).
            #[serde(default)]
            pub mode: Option<hearth_formats::value::Value>,
            /// Owner name or id.
            #[serde(default, deserialize_with = "crate::args::de_opt_str")]
            pub owner: Option<String>,
            /// Group name or id.
            #[serde(default, deserialize_with = "crate::args::de_opt_str")]
            pub group: Option<String>,
        ] [$($acc)* attrs] $($rest)*);
    };
    (@munch $metas:tt $name:ident [$($done:tt)*] [$($acc:tt)*] ..UnsafeWrites, $($rest:tt)*) => {
        $crate::file_attrs::file_params!(@munch $metas $name [$($done)*
            /// Accepted and ignored: writes are always atomic.
            #[serde(default, deserialize_with = "crate::args::de_bool")]
            pub unsafe_writes: bool,
        ] [$($acc)*] $($rest)*);
    };
    (@munch $metas:tt $name:ident [$($done:tt)*] [$($acc:tt)*]
        $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty, $($rest:tt)*) => {
        $crate::file_attrs::file_params!(@munch $metas $name [$($done)* $(#[$fmeta])* $fvis $field: $ty,]
            [$($acc)*] $($rest)*);
    };
    (@munch [$($meta:tt)*] $name:ident [$($done:tt)*] [$($acc:ident)*]) => {
        $($meta)*
        pub struct $name { $($done)* }
        $crate::file_attrs::file_params!(@accessor $name $($acc)*);
    };
    (@accessor $name:ident) => {};
    (@accessor $name:ident attrs) => {
        impl $name {
            /// The `mode`/`owner`/`group` parameters, for resolving against a path.
            pub fn file_attrs(&self) -> $crate::file_attrs::FileAttrs<'_> {
                $crate::file_attrs::FileAttrs {
                    mode: self.mode.as_ref(),
                    owner: self.owner.as_deref(),
                    group: self.group.as_deref(),
                }
            }
        }
    };
}
pub(crate) use file_params;

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    crate::file_attrs::file_params! {
        /// A module-like struct for checking the splice.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Probe {
            /// First.
            pub path: String,
            ..FileAttrs,
            /// Between.
            #[serde(default)]
            pub backup: bool,
            ..UnsafeWrites,
        }
    }

    #[test]
    fn fields_keep_their_order_and_strictness() {
        let names = serde_aux::serde_introspection::serde_introspect::<Probe>();
        assert_eq!(names, ["path", "mode", "owner", "group", "backup", "unsafe_writes"]);
        let p: Probe =
            serde_json::from_value(json!({"path": "/x", "owner": 1000, "unsafe_writes": "yes"})).unwrap();
        assert_eq!(p.file_attrs().owner, Some("1000"));
        assert!(p.unsafe_writes && !p.backup && p.file_attrs().mode.is_none() && p.path == "/x");
        assert!(serde_json::from_value::<Probe>(json!({"path": "/x", "moed": 1})).is_err());
    }

    #[test]
    fn resolve_and_any() {
        let m = json!("u=rw");
        let a = FileAttrs { mode: Some(&m), owner: None, group: Some("adm") };
        assert!(a.any() && !FileAttrs::default().any());
        let want = a.resolve(None).unwrap();
        assert_eq!((want.mode, want.group.as_deref()), (Some(0o644), Some("adm")));
        let bad = json!("z+q");
        let err = FileAttrs { mode: Some(&bad), ..a }.resolve(None).unwrap_err();
        assert!(err.to_string().starts_with("mode must be in octal or symbolic form"), "{err}");
    }
}
