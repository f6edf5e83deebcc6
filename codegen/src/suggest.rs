//! "Did you mean …?": the closest known name to a misspelled one, and the one wording both
//! front ends use for an option name the vocabulary does not have.

/// `` `prot` is not a kuberpc option; did you mean `port`? `` — `path` as written (`autoscale.mni`),
/// its last part looked up among `known`.
pub(crate) fn unknown_option(path: &str, known: &[&str]) -> String {
    let name = path.rsplit('.').next().unwrap_or(path);
    match closest(name, known) {
        Some(suggestion) => format!("`{path}` is not a kuberpc option; did you mean `{suggestion}`?"),
        None => format!("`{path}` is not a kuberpc option; the options are in kuberpc/v1/options.proto"),
    }
}

/// The known name within edit distance 2 of `name`, or that `name` abbreviates
/// (`timeout` → `timeout_ms`), if any.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let near = known.iter().map(|k| (edit_distance(name, k), *k)).filter(|(d, _)| *d <= 2).min().map(|(_, k)| k);
    near.or_else(|| known.iter().copied().find(|k| name.len() >= 3 && k.starts_with(name)))
}

/// Edit distance by characters, counting a swap of neighbours as one edit (optimal string
/// alignment), so `mni` is one edit from `min`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
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
        assert_eq!(closest("mni", &["max", "min"]), Some("min"));
    }
}
