//! The reader's language: every label and sentence seimon writes exists in Chinese and
//! English.

use serde::Deserialize;

/// A reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Zh,
    En,
}
