pub mod inventory;
pub mod pattern;
pub mod yaml;
