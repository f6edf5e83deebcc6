//! `kuberpc check --against REF`: a proto's breaking changes against a git revision and
//! against a descriptor set file, each located in the proto, exit 1; none, exit 0; a bad
//! category or reference, exit 2.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::kuberpc;

const BEFORE: &str =
    "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Order {\n  string id = 1;\n  int32 total = 2;\n}\n";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository with shop/v1/shop.proto committed as BEFORE, then changed to `after`.
fn repository(after: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("shop/v1")).unwrap();
    fs::write(dir.path().join("shop/v1/shop.proto"), BEFORE).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "before"]);
    fs::write(dir.path().join("shop/v1/shop.proto"), after).unwrap();
    dir
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_type_change_is_located_and_fails_against_the_last_commit() {
    let dir = repository(&BEFORE.replace("int32 total", "int64 total"));
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("shop/v1/shop.proto:6:3"), "located at the type: {text}");
    assert!(text.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "{text}");
    assert!(text.contains(r#"changed type from "int32" to "int64""#), "{text}");
    assert!(text.contains("1 breaking change against git revision HEAD (WIRE_JSON)"), "{text}");
    // The same change is compatible on the wire alone.
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", "WIRE"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_safe_addition_passes_and_a_descriptor_set_is_a_reference_too() {
    let dir = repository(&BEFORE.replace("}\n", "  string note = 3;\n}\n"));
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", "FILE"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The old side as an encoded FileDescriptorSet, from protox.
    let old = tempfile::tempdir().unwrap();
    fs::create_dir_all(old.path().join("shop/v1")).unwrap();
    fs::write(
        old.path().join("shop/v1/shop.proto"),
        BEFORE.replace("string id = 1", "string id = 1;\n  bool paid = 9"),
    )
    .unwrap();
    let set = protox::compile(["shop/v1/shop.proto"], [old.path()]).unwrap();
    let reference = old.path().join("before.binpb");
    fs::write(&reference, prost::Message::encode_to_vec(&set)).unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", reference.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    let flat = text.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
    assert!(flat.contains(r#"Previously present field "9" with name "paid" on message "Order" was deleted"#), "{text}");
    assert!(text.contains("shop/v1/shop.proto:4:1") && !text.contains("./shop"), "at the message: {text}");
}

#[test]
fn a_bad_category_or_reference_is_refused() {
    let dir = repository(BEFORE);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", "WIRES"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown category `WIRES`"), "{}", stderr(&output));
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "no-such-revision"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("at git revision no-such-revision"), "{}", stderr(&output));
}

#[test]
fn a_change_accepted_in_the_source_passes_and_says_so_and_a_typo_is_refused() {
    let accepted = BEFORE.replace(
        "  int32 total = 2;",
        "  // kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE totals never pass 2^31; every caller reads int64 (#42)\n  int64 total = 2;",
    );
    let dir = repository(&accepted);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("accepted on purpose: shop/v1/shop.proto:7: FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "{stdout}");
    assert!(stdout.contains("(accepted: totals never pass 2^31; every caller reads int64 (#42))"), "{stdout}");
    // It accepts that rule only: under FILE the same change also breaks FIELD_SAME_TYPE.
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", "FILE"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("FIELD_SAME_TYPE"), "{}", stderr(&output));
    // A misspelt rule accepts nothing, and is refused where it is written.
    let dir = repository(&accepted.replace("FIELD_WIRE_JSON_COMPATIBLE_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TPYE"));
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    let flat = text.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
    assert!(flat.contains("`kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TPYE` names no breaking rule"), "{text}");
    assert!(text.contains("shop/v1/shop.proto:7:3"), "at the element it is on: {text}");
}
