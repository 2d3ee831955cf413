//! The only code that writes to the terminal. The engine emits [`Event`]s; a [`Reporter`] turns
//! them into Ansible-style text (`text`), JSON lines (`json`) or live progress bars over the text
//! (`progress`). Secrets are redacted by the engine before events are built, so no reporter can
//! leak them; reporters never read host state themselves. The event types live in `event`; this
//! file only declares the reporters and re-exports the public API.

mod event;
pub mod json;
pub mod masked;
pub mod progress;
pub mod text;

pub use event::{Event, HostResult, Reporter, Stats, Status};
pub use json::JsonReporter;
pub use masked::Masked;
pub use progress::ProgressReporter;
pub use text::TextReporter;
