//! What loading a configuration found worth telling the user, short of an error.
//!
//! Owns the wording of configuration warnings (one line each, without the file
//! name, which the caller puts in front). `run`, `worker` and `check-config`
//! print them through [`super::Config::log_warnings`].

use super::keys::UnknownKey;

/// One thing the configuration file says that is not used as written.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigWarning {
    /// Keys (or environment variables) of the previous service whose feature this product
    /// does not have; all of them in one warning.
    Unsupported {
        /// Key paths, or variable names where the environment set them.
        keys: Vec<String>,
    },
    /// A key no schema knows: most often a misspelling.
    Unknown(UnknownKey),
    /// This product's key and the previous service's key for the same setting are both given.
    Shadowed {
        /// This product's key, which is used.
        product: String,
        /// The previous service's key, which is ignored.
        previous: String,
    },
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unsupported { keys } => write!(f, "settings not supported, ignored: {}", keys.join(", ")),
            Self::Unknown(UnknownKey {
                key,
                nearest: Some(nearest),
            }) => {
                write!(f, "unknown key {key} (did you mean {nearest}?)")
            }
            Self::Unknown(UnknownKey { key, nearest: None }) => write!(f, "unknown key {key}, ignored"),
            Self::Shadowed { product, previous } => {
                write!(
                    f,
                    "{product} and {previous} are both set: {product} is used, {previous} ignored"
                )
            }
        }
    }
}
