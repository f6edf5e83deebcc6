//! "Did you mean …?": the closest known name to a misspelled one.

/// The known name within edit distance 2 of `name`, or that `name` abbreviates
/// (`timeout` → `timeout_ms`), if any.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let near = known.iter().map(|k| (edit_distance(name, k), *k)).filter(|(d, _)| *d <= 2).min().map(|(_, k)| k);
    near.or_else(|| known.iter().copied().find(|k| name.len() >= 3 && k.starts_with(name)))
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_not() {
        assert_eq!(closest("servce", &["service", "pod"]), Some("service"));
        assert_eq!(closest("deploymnet", &["deployment"]), Some("deployment"));
        assert_eq!(closest("timeout", &["timeout_ms", "idempotent"]), Some("timeout_ms"));
        assert_eq!(closest("zzz", &["service"]), None);
    }
}
