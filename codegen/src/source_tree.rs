//! Whether a build script may write into the crate's source tree (`deploy/`, `proto/`). It
//! may when the crate is built from its own checkout. It may not when the crate is built as a
//! dependency (a registry or git checkout under cargo's home), when the directory is
//! read-only, or when `KUBERPC_NO_WRITE` is set (for `cargo package` / `cargo publish`
//! verification). Then the build keeps those outputs under `$OUT_DIR/kuberpc/` and says so.

use std::path::{Path, PathBuf};

/// Set (to anything but `0`) to keep build scripts out of the source tree.
pub const NO_WRITE_ENV: &str = "KUBERPC_NO_WRITE";

/// Why a build script must not write to `dirs`, if it must not.
pub(crate) fn off_limits(dirs: &[&Path]) -> Option<String> {
    if std::env::var_os(NO_WRITE_ENV).is_some_and(|value| !value.is_empty() && value != "0") {
        return Some(format!("{NO_WRITE_ENV} is set"));
    }
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if manifest_dir.as_deref().is_some_and(|dir| is_dependency(dir, &cargo_home())) {
        return Some("the crate is built as a dependency".into());
    }
    dirs.iter().find(|dir| is_read_only(dir)).map(|dir| format!("{} is read-only", dir.display()))
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// A crate unpacked by cargo itself: under cargo's home, or in a `registry/src` or
/// `git/checkouts` tree.
fn is_dependency(manifest_dir: &Path, cargo_home: &Option<PathBuf>) -> bool {
    if cargo_home.as_deref().is_some_and(|home| manifest_dir.starts_with(home)) {
        return true;
    }
    let parts: Vec<_> = manifest_dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts
        .windows(2)
        .any(|pair| matches!((pair[0].as_str(), pair[1].as_str()), ("registry", "src") | ("git", "checkouts")))
}

/// The directory, or the nearest of its ancestors that exists, has no write permission.
fn is_read_only(dir: &Path) -> bool {
    let existing = dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists()).unwrap_or(Path::new("."));
    std::fs::metadata(existing).is_ok_and(|m| m.permissions().readonly())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_recognised_by_where_cargo_unpacked_them() {
        let home = Some(PathBuf::from("/home/me/.cargo"));
        assert!(is_dependency(Path::new("/home/me/.cargo/registry/src/index/greeter-1.0.0"), &home));
        assert!(is_dependency(Path::new("/opt/cargo/git/checkouts/greeter-abc/def"), &home));
        assert!(is_dependency(Path::new("/opt/cargo/registry/src/x/greeter-1.0.0"), &None));
        assert!(!is_dependency(Path::new("/work/greeter"), &home));
        assert!(!is_dependency(Path::new("/work/registry/greeter"), &home));
    }
}
