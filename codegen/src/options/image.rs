//! Image references, by the OCI distribution grammar (what registries and the kubelet accept):
//! `[registry[:port]/]path[:tag][@algorithm:digest]`, the path lower case.

/// What is wrong with `image` as a reference, in words; `None` when it is one.
pub(super) fn reference_problem(image: &str) -> Option<String> {
    let (name_and_tag, digest) = match image.split_once('@') {
        Some((name_and_tag, digest)) => (name_and_tag, Some(digest)),
        None => (image, None),
    };
    if let Some(problem) = digest.and_then(digest_problem) {
        return Some(problem);
    }
    let (name, tag) = match name_and_tag.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (name_and_tag, None),
    };
    if let Some(tag) = tag.filter(|tag| !is_tag(tag)) {
        return Some(format!("the tag {tag:?} is not a tag (letters, digits, '_', '.', '-'; at most 128)"));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && is_registry(components[0]) {
        components.remove(0);
    }
    if components.iter().any(|c| c.chars().any(|ch| ch.is_ascii_uppercase())) {
        return Some("the repository must be lower case".into());
    }
    if name.is_empty() || !components.iter().all(|c| is_path_component(c)) {
        return Some(
            "the repository is not `[registry/]name[/name…]` of lower-case letters, digits and separators".into(),
        );
    }
    None
}

/// `sha256:` and 64 lower-case hex digits, or another algorithm's `name:encoded`.
fn digest_problem(digest: &str) -> Option<String> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Some(format!("the digest {digest:?} is not `algorithm:hex`"));
    };
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    let valid = match algorithm {
        "sha256" => encoded.len() == 64 && hex(encoded),
        "sha512" => encoded.len() == 128 && hex(encoded),
        _ => false,
    };
    (!valid)
        .then(|| format!("the digest {digest:?} is not sha256: with 64 (or sha512: with 128) lower-case hex digits"))
}

fn is_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A first component that names a registry: a host with a dot or a port, or `localhost`.
fn is_registry(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes.
fn is_path_component(component: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let separators_ok = !component.contains("..") && !component.contains("___") && !component.contains("._");
    !component.is_empty()
        && component.starts_with(alphanumeric)
        && component.ends_with(alphanumeric)
        && separators_ok
        && component.chars().all(|c| alphanumeric(c) || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:9b2c7e4f1a0d3c5b8e6f2a4d7c1b9e3f5a8d2c6b0e4f7a1d3c9b5e8f2a6d4c71";

    #[test]
    fn references_registries_accept() {
        for image in [
            "greeter".to_string(),
            "ghcr.io/acme/greeter:1.4.2".into(),
            "localhost:5000/greeter".into(),
            "registry.example.com:443/team/sub_team/greeter-svc:v1.0_rc-1".into(),
            format!("ghcr.io/acme/greeter@{DIGEST}"),
            format!("ghcr.io/acme/greeter:1.4.2@{DIGEST}"),
        ] {
            assert_eq!(reference_problem(&image), None, "{image}");
        }
    }

    #[test]
    fn references_registries_refuse() {
        for (image, problem) in [
            ("ghcr.io/Acme/Greeter", "lower case"),
            ("greeter:", "tag"),
            ("greeter:-x", "tag"),
            ("greeter@sha256:abc", "digest"),
            ("greeter@md5:0123", "digest"),
            ("greeter@sha256", "algorithm:hex"),
            ("team//greeter", "repository"),
            ("-greeter", "repository"),
            ("", "repository"),
        ] {
            let found = reference_problem(image).unwrap_or_else(|| panic!("{image:?} was accepted"));
            assert!(found.contains(problem), "{image:?}: {found}");
        }
        assert!(reference_problem(&format!("greeter:1@{}", DIGEST.to_uppercase())).is_some());
    }
}
