//! `apt`: install, upgrade, remove and purge Debian packages with apt-get, non-interactively.
//! It reads the installed state of every named package in one `dpkg-query` call, asks a
//! simulated `apt-get -s` what would change (so check mode and the summary list every package,
//! dependencies included), then runs one apt-get for the change. It waits (bounded by
//! `lock_timeout`) for the dpkg lock instead of failing. Not here: `upgrade: dist`, `build-dep`,
//! `autoclean`, `policy_rc_d` (rejected or accepted-and-ignored as documented in the README).

mod apt_get;
mod deb;
pub mod debver;
pub mod host;
mod params;
pub mod parse;
mod plan;

use crate::module::{Ctx, Module, ModuleError, Plan};

/// The parameters and their list syntax, defined in `apt/params.rs` below everything that reads
/// them; named here because the registry, `package` and `deb822_repository` use these paths.
pub use params::{Apt, de_list};

impl Module for Apt {
    fn plan(&self, ctx: &Ctx) -> Result<Plan, ModuleError> {
        plan::plan(self, ctx)
    }
}
