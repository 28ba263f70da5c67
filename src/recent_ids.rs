//! A bounded memory keyed by id: the most recent ids and a value for each.
//!
//! Owns only the bound and the eviction order: when full, the oldest id is
//! forgotten first. Used where a message may refer back to something the
//! service has moved on from (an ended Frigate event redelivered, a GenAI
//! summary for a CE already closed), which happens within minutes, far fewer
//! ids than the bound.

use std::collections::{HashMap, VecDeque};

/// How many ids are remembered.
pub const REMEMBERED_IDS: usize = 4096;

/// The [`REMEMBERED_IDS`] most recently inserted ids, each with a value.
#[derive(Debug)]
pub struct RecentIds<V> {
    /// Ids in the order they were first inserted, to forget the oldest.
    order: VecDeque<String>,
    /// The same ids, with their values.
    values: HashMap<String, V>,
}

impl<V> Default for RecentIds<V> {
    fn default() -> Self {
        Self {
            order: VecDeque::new(),
            values: HashMap::new(),
        }
    }
}

impl<V> RecentIds<V> {
    /// Remembers `id` with `value` (replacing the value of a known id, which
    /// keeps its place), forgetting the oldest id past the bound.
    pub fn insert(&mut self, id: &str, value: V) {
        if self.values.insert(id.to_string(), value).is_some() {
            return;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > REMEMBERED_IDS {
            if let Some(oldest) = self.order.pop_front() {
                self.values.remove(&oldest);
            }
        }
    }

    /// The value of `id`, when it is remembered.
    pub fn get(&self, id: &str) -> Option<&V> {
        self.values.get(id)
    }

    /// True when `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.values.contains_key(id)
    }

    /// Forgets `id`, returning its value.
    pub fn remove(&mut self, id: &str) -> Option<V> {
        let value = self.values.remove(id)?;
        self.order.retain(|known| known != id);
        Some(value)
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_ids_and_forgets_the_oldest_past_the_bound() {
        let mut recent = RecentIds::default();
        recent.insert("first", 1);
        recent.insert("first", 2);
        assert_eq!(recent.get("first"), Some(&2));
        assert!(!recent.contains("second"));
        for index in 0..REMEMBERED_IDS {
            recent.insert(&format!("later-{index}"), 0);
        }
        assert!(!recent.contains("first"));
        assert!(recent.contains("later-0"));
        assert_eq!(recent.order.len(), REMEMBERED_IDS);
        assert_eq!(recent.values.len(), REMEMBERED_IDS);
    }
}
