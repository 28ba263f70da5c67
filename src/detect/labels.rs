//! The detector's class names, from a names file.
//!
//! Owns the names-file format (one name per line, in class order; surrounding
//! whitespace trimmed, blank lines ignored) and the lookup of configured labels
//! to class ids. Reading the file is its only I/O; it knows nothing of tensors.

use std::path::{Path, PathBuf};

/// Why a names file could not be used or a label could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    /// The names file could not be read.
    #[error("cannot read names file {}: {source}", path.display())]
    Read {
        /// The names file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The names file lists no names.
    #[error("names file {} lists no class names", path.display())]
    Empty {
        /// The names file.
        path: PathBuf,
    },
    /// A configured label is not one of the model's classes.
    #[error("label `{label}` is not one of the model's {known} class names")]
    UnknownLabel {
        /// The label asked for.
        label: String,
        /// How many names the model has.
        known: usize,
    },
}

/// Class names indexed by class id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// `names[class_id]` is that class's name.
    names: Vec<String>,
}

impl Labels {
    /// Parses the text of a names file.
    pub fn from_names_text(text: &str) -> Self {
        let names = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        Self { names }
    }

    /// Reads and parses the names file at `path`; an empty file is an error.
    pub fn load(path: &Path) -> Result<Self, LabelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let labels = Self::from_names_text(&text);
        if labels.names.is_empty() {
            return Err(LabelsError::Empty { path: path.to_owned() });
        }
        Ok(labels)
    }

    /// The names in class-id order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of classes named.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no class is named.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Class ids of `wanted` labels, in the order given; labels match ignoring
    /// ASCII case (`Person` finds `person`). An unknown label is an error naming it.
    pub fn class_ids<S: AsRef<str>>(&self, wanted: &[S]) -> Result<Vec<usize>, LabelsError> {
        wanted
            .iter()
            .map(|label| {
                let label = label.as_ref().trim();
                self.names
                    .iter()
                    .position(|name| name.eq_ignore_ascii_case(label))
                    .ok_or_else(|| LabelsError::UnknownLabel {
                        label: label.to_owned(),
                        known: self.names.len(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_blank_lines_skipped() {
        let labels = Labels::from_names_text("person\r\n  bicycle \n\n\ncar\n");
        assert_eq!(labels.names(), ["person", "bicycle", "car"]);
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn class_ids_follow_file_order() {
        let labels = Labels::from_names_text("person\nbicycle\ncar\n");
        assert_eq!(labels.class_ids(&["car", "Person"]).unwrap(), vec![2, 0]);
        let configured = vec!["bicycle".to_string()];
        assert_eq!(labels.class_ids(&configured).unwrap(), vec![1]);
    }

    #[test]
    fn unknown_label_is_named() {
        let labels = Labels::from_names_text("person\n");
        let err = labels.class_ids(&["person", "unicorn"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "label `unicorn` is not one of the model's 1 class names"
        );
    }

    #[test]
    fn load_reads_a_file_and_names_it_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coco.names");
        std::fs::write(&path, "person\ncar\n").unwrap();
        assert_eq!(Labels::load(&path).unwrap().len(), 2);

        let missing = dir.path().join("missing.names");
        let err = Labels::load(&missing).unwrap_err();
        assert!(err.to_string().contains("missing.names"), "{err}");

        std::fs::write(&path, "\n \n").unwrap();
        let err = Labels::load(&path).unwrap_err();
        assert!(err.to_string().contains("coco.names lists no class names"), "{err}");
    }
}
