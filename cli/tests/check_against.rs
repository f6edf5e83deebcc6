//! `kuberpc check --against REF`: a proto's breaking changes against a git revision and
//! against a descriptor set file, each located in the proto, exit 1; none, exit 0; a bad
//! category or reference, exit 2.

mod common;

use common::{git, kuberpc, unwrapped};
use std::fs;

const BEFORE: &str =
    "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Order {\n  string id = 1;\n  int32 total = 2;\n}\n";

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
    let flat = unwrapped(&text);
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
    assert!(stderr(&output).contains("`no-such-revision` is neither a file nor a git revision"), "{}", stderr(&output));
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
    let flat = unwrapped(&text);
    assert!(flat.contains("`kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TPYE` names no breaking rule"), "{text}");
    assert!(text.contains("shop/v1/shop.proto:6:6"), "where it is written: {text}");
}

/// The exit code and the text of a check of shop.proto against HEAD, after `after`, under the
/// rules of `category`.
fn check_head(after: &str, category: &str) -> (Option<i32>, String) {
    let dir = repository(after);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", category], dir.path());
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    (output.status.code(), unwrapped(&text))
}

#[test]
fn a_directive_that_cannot_accept_anything_is_refused_where_it_is_written() {
    let retyped = |comment: &str| BEFORE.replace("  int32 total = 2;", &format!("{comment}\n  int64 total = 2;"));
    // No reason.
    let (code, text) = check_head(&retyped("  // kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "WIRE_JSON");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("gives no reason") && text.contains("shop/v1/shop.proto:6:6"), "{text}");
    // Detached from every element by blank lines: it would accept nothing.
    let (code, text) =
        check_head(&retyped("\n  // kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE fits\n"), "WIRE_JSON");
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("is in no element's comment, so it accepts nothing"), "{text}");
    // Right below `id` and a blank line before `total`, protobuf makes it id's trailing comment:
    // it accepts nothing there, and the check says so.
    let (code, text) = check_head(&retyped("  // kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE fits\n"), "WIRE_JSON");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("note: shop/v1/shop.proto:6: `kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE` accepts nothing"),
        "{text}"
    );
    // In a block comment, or beside the field: accepted.
    let (code, text) =
        check_head(&retyped("  /*\n   * kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE fits\n   */"), "WIRE_JSON");
    assert_eq!(code, Some(0), "{text}");
    let beside =
        BEFORE.replace("int32 total = 2;", "int64 total = 2; // kuberpc:accept FIELD_WIRE_JSON_COMPATIBLE_TYPE fits");
    let (code, text) = check_head(&beside, "WIRE_JSON");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("(accepted: fits)"), "{text}");
}

#[test]
fn what_a_file_no_longer_declares_is_accepted_at_its_package_statement() {
    let without_order = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Cart {\n  string id = 1;\n}\n";
    let (code, text) = check_head(without_order, "FILE");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(r#"MESSAGE_NO_DELETE: Previously present message "Order" was deleted from file."#), "{text}");
    let accepted = without_order.replace(
        "package shop.v1;",
        "// kuberpc:accept MESSAGE_NO_DELETE Order moved to billing.v1; no caller is left (#57)\npackage shop.v1;",
    );
    let (code, text) = check_head(&accepted, "FILE");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("accepted on purpose: shop/v1/shop.proto:1: MESSAGE_NO_DELETE"), "{text}");
}

#[test]
fn a_proto_added_since_the_revision_breaks_nobody() {
    let dir = repository(BEFORE);
    fs::write(dir.path().join("shop/v1/cart.proto"), "syntax = \"proto3\";\npackage shop.v1;\nmessage Cart {}\n")
        .unwrap();
    let both = ["check", "shop/v1/shop.proto", "shop/v1/cart.proto", "--against", "HEAD", "--category", "FILE"];
    let output = kuberpc(&both, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Only new files: a first version breaks no caller, and the check says why it passes.
    let output = kuberpc(&["check", "shop/v1/cart.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("none of the checked protos existed at git revision HEAD"), "{stdout}");
}

#[test]
fn a_proto_is_the_same_file_however_its_path_is_written() {
    // Under an include path, as ./path, and by its name from the include path: each is the
    // committed shop.proto, whose retyped field breaks (not a new file that breaks nobody).
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("proto/shop/v1")).unwrap();
    fs::write(dir.path().join("proto/shop/v1/shop.proto"), BEFORE).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "before"]);
    fs::write(dir.path().join("proto/shop/v1/shop.proto"), BEFORE.replace("int32 total", "string total")).unwrap();
    for (proto, include) in [
        ("proto/shop/v1/shop.proto", "proto"),
        ("./proto/shop/v1/shop.proto", "proto"),
        ("proto/shop/v1/shop.proto", "./proto"),
    ] {
        let output = kuberpc(&["check", proto, "-I", include, "--against", "HEAD"], dir.path());
        assert_eq!(output.status.code(), Some(1), "{proto} -I {include}: {}", stderr(&output));
    }
    // A proto that is there but does not compile at the revision is an error, not a new file.
    fs::write(dir.path().join("proto/shop/v1/shop.proto"), BEFORE.replace("string id = 1;", "string id = 1")).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "broken"]);
    fs::write(dir.path().join("proto/shop/v1/shop.proto"), BEFORE).unwrap();
    let output = kuberpc(&["check", "proto/shop/v1/shop.proto", "-I", "proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("at git revision HEAD"), "{}", stderr(&output));
}

const SERVICE: &str = r#"syntax = "proto3";
package shop.v1;

import "kuberpc/v1/options.proto";

service Orders {
  option (kuberpc.v1.service) = { image: "ghcr.io/acme/orders:1" port: 50051 };

  rpc Get(Order) returns (Order) {
    option (kuberpc.v1.method) = { timeout_ms: 2000 idempotent: true };
  }
  rpc Put(Order) returns (Order) {
    option (kuberpc.v1.method) = { timeout_ms: 1000 };
  }
}

message Order {
  string id = 1;
  int32 total = 2;
}
"#;

/// The same repository as `repository`, with SERVICE as its committed proto.
fn service_repository(after: &str) -> tempfile::TempDir {
    let dir = repository(SERVICE);
    fs::write(dir.path().join("shop/v1/shop.proto"), SERVICE).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "the service"]);
    fs::write(dir.path().join("shop/v1/shop.proto"), after).unwrap();
    dir
}

#[test]
fn the_deployment_contract_is_checked_against_a_revision() {
    let after = SERVICE
        .replace("port: 50051", "port: 50052")
        .replace("timeout_ms: 2000 idempotent: true", "timeout_ms: 500")
        .replace(
            "option (kuberpc.v1.method) = { timeout_ms: 1000 };",
            "option (kuberpc.v1.method) = { timeout_ms: 1000 idempotent: true };",
        );
    let dir = service_repository(&after);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    let flat = unwrapped(&text);
    for expected in [
        "KUBERPC_SAME_PORT: service \"shop.v1.Orders\" changed port from 50051 to 50052",
        "KUBERPC_IDEMPOTENT_KEPT: shop.v1.Orders/Get is no longer idempotent",
        "KUBERPC_DEADLINE_NOT_SHORTER: shop.v1.Orders/Get's deadline shrank from 2000 ms to 500 ms",
        "3 breaking changes",
    ] {
        assert!(flat.contains(expected), "{expected}: {text}");
    }
    assert!(text.contains("shop/v1/shop.proto:7:"), "the port at its option: {text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("note: shop/v1/shop.proto:13: shop.v1.Orders/Put became idempotent: safe only when orders rolls out before its callers"), "{stdout}");
    // A contract change accepted on purpose, on the service.
    let accepted = SERVICE.replace("port: 50051", "port: 50052").replace(
        "service Orders {",
        "// kuberpc:accept KUBERPC_SAME_PORT every caller reads the port from the generated config (#61)\nservice Orders {",
    );
    let dir = service_repository(&accepted);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout)
        .contains("accepted on purpose: shop/v1/shop.proto:8: KUBERPC_SAME_PORT"));
    // The same, written above the option that changed (or beside it).
    for (option, placed) in [
        ("  option (kuberpc.v1.service) =", "  // kuberpc:accept KUBERPC_SAME_PORT every caller reads the generated config (#61)\n  option (kuberpc.v1.service) ="),
        ("port: 50052 };", "port: 50052 }; // kuberpc:accept KUBERPC_SAME_PORT every caller reads the generated config (#61)"),
    ] {
        let accepted = SERVICE.replace("port: 50051", "port: 50052").replace(option, placed);
        let dir = service_repository(&accepted);
        let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
        assert_eq!(output.status.code(), Some(0), "{placed}: {}", stderr(&output));
    }
    // The deadline a caller gets: Put has none of its own, so the service's default shrinking
    // shortens it.
    let shorter_default = SERVICE
        .replace("timeout_ms: 1000 }", "}")
        .replace("port: 50051 }", "port: 50051 client { default_timeout_ms: 800 } }");
    let dir = service_repository(&SERVICE.replace("timeout_ms: 1000 }", "}"));
    git(dir.path(), &["commit", "-q", "-am", "Put on the default deadline"]);
    fs::write(dir.path().join("shop/v1/shop.proto"), shorter_default).unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let flat = unwrapped(&stderr(&output));
    assert!(flat.contains("shop.v1.Orders/Put's deadline shrank from 30000 ms to 800 ms"), "{flat}");
    assert!(!flat.contains("Orders/Get's deadline"), "Get has its own: {flat}");
    // Unchanged options: nothing.
    let dir = service_repository(SERVICE);
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "HEAD"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

const CALLER: &str = r#"syntax = "proto3";
package front.v1;

import "kuberpc/v1/options.proto";

service Front {
  option (kuberpc.v1.service) = {
    image: "ghcr.io/acme/front:1"
    calls { service: "shop.v1.Orders" methods: ["Get"] }
  };
  rpc Home(Page) returns (Page);
}

message Page {
  string path = 1;
}
"#;

#[test]
fn a_changed_method_names_the_callers_that_still_use_it() {
    let dir = service_repository(SERVICE);
    fs::create_dir_all(dir.path().join("front/v1")).unwrap();
    fs::write(dir.path().join("front/v1/front.proto"), CALLER).unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "the front"]);
    let changed = SERVICE
        .replace("rpc Get(Order) returns (Order)", "rpc Get(Order) returns (stream Order)")
        .replace("rpc Put(Order) returns (Order)", "rpc Put(Order) returns (stream Order)");
    fs::write(dir.path().join("shop/v1/shop.proto"), changed).unwrap();
    let args = ["check", "shop/v1/shop.proto", "--against", "HEAD", "--peer", "front/v1/front.proto"];
    let output = kuberpc(&args, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    let flat = unwrapped(&text);
    assert!(
        flat.contains(
            r#"RPC "Get" on service "Orders" changed from server unary to server streaming. — still called by front"#
        ),
        "Get is front's: {text}"
    );
    assert!(flat.contains(r#"RPC "Put" on service "Orders" changed from server unary to server streaming."#), "{text}");
    assert!(!flat.contains("streaming. — still called by front Put"), "{text}");
    let put = flat.split("RPC \"Put\"").nth(1).unwrap_or_default();
    assert!(
        !put.starts_with(" on service \"Orders\" changed from server unary to server streaming. — still"),
        "no one calls Put: {text}"
    );
}

#[test]
fn a_changed_message_names_the_callers_of_the_methods_that_carry_it() {
    let dir = service_repository(SERVICE);
    fs::create_dir_all(dir.path().join("front/v1")).unwrap();
    fs::write(dir.path().join("front/v1/front.proto"), CALLER).unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "the front"]);
    // Order is Get's request and response (front calls Get) and Put's (nobody does).
    fs::write(dir.path().join("shop/v1/shop.proto"), SERVICE.replace("int32 total = 2;", "string total = 2;")).unwrap();
    let args = ["check", "shop/v1/shop.proto", "--against", "HEAD", "--peer", "front/v1/front.proto"];
    let output = kuberpc(&args, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let flat = unwrapped(&stderr(&output));
    assert!(
        flat.contains(r#"on message "Order" changed type from "int32" to "string"."#)
            && flat.contains("— still called by front (through shop.v1.Orders/Get)"),
        "{flat}"
    );
    assert!(!flat.contains("Orders/Put"), "nobody calls Put: {flat}");
}

#[test]
fn a_removed_method_names_callers_that_call_every_method() {
    let dir = service_repository(SERVICE);
    fs::create_dir_all(dir.path().join("front/v1")).unwrap();
    let calls_all =
        CALLER.replace(r#"calls { service: "shop.v1.Orders" methods: ["Get"] }"#, r#"calls { service: "orders" }"#);
    fs::write(dir.path().join("front/v1/front.proto"), calls_all).unwrap();
    let removed = SERVICE.replace(
        "  rpc Put(Order) returns (Order) {\n    option (kuberpc.v1.method) = { timeout_ms: 1000 };\n  }\n",
        "",
    );
    assert_ne!(removed, SERVICE);
    fs::write(dir.path().join("shop/v1/shop.proto"), removed).unwrap();
    let args =
        ["check", "shop/v1/shop.proto", "--against", "HEAD", "--category", "FILE", "--peer", "front/v1/front.proto"];
    let output = kuberpc(&args, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let flat = unwrapped(&stderr(&output));
    assert!(
        flat.contains(
            r#"RPC_NO_DELETE: Previously present RPC "Put" on service "Orders" was deleted. — still called by front"#
        ),
        "{flat}"
    );
    // The whole service deleted: its callers are named too.
    let start = SERVICE.find("service Orders").unwrap();
    let end = SERVICE.find("message Order").unwrap();
    fs::write(dir.path().join("shop/v1/shop.proto"), format!("{}{}", &SERVICE[..start], &SERVICE[end..])).unwrap();
    let output = kuberpc(&args, dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let flat = unwrapped(&stderr(&output));
    assert!(
        flat.contains(
            r#"SERVICE_NO_DELETE: Previously present service "Orders" was deleted from file. — still called by front"#
        ),
        "{flat}"
    );
}

#[test]
fn the_record_a_build_writes_is_the_reference_of_the_next_change() {
    let dir = service_repository(SERVICE);
    let generate = kuberpc(&["generate", "shop/v1/shop.proto", "--out", "deploy"], dir.path());
    assert!(generate.status.success(), "{}", stderr(&generate));
    let record = "deploy/orders/base/descriptor.json";
    let text = fs::read_to_string(dir.path().join(record)).unwrap();
    assert!(
        text.starts_with(r#"{ "x-kuberpc": "@generated by kuberpc from shop/v1/shop.proto (shop.v1.Orders)."#),
        "{text}"
    );
    assert!(text.contains(r#""[kuberpc.v1.method]""#), "options kept: {text}");
    assert!(!text.contains("sourceCodeInfo") && !text.contains("google/protobuf/descriptor.proto\","), "{text}");
    // Against itself, under the strictest rules: nothing.
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", record, "--category", "FILE"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The next change breaks a caller of what the record holds.
    fs::write(dir.path().join("shop/v1/shop.proto"), SERVICE.replace("int32 total = 2;", "string total = 2;")).unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", record], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "{}", stderr(&output));
    // The record keeps the options: the deployment contract is compared against it too.
    fs::write(
        dir.path().join("shop/v1/shop.proto"),
        SERVICE.replace("timeout_ms: 2000 idempotent: true", "timeout_ms: 2000"),
    )
    .unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", record], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        unwrapped(&stderr(&output)).contains("KUBERPC_IDEMPOTENT_KEPT: shop.v1.Orders/Get is no longer idempotent"),
        "{}",
        stderr(&output)
    );
    // A record whose options were edited into what kuberpc refuses (a port past 65535) states
    // no contract: the check says so rather than read a default in its place.
    let text = fs::read_to_string(dir.path().join(record)).unwrap();
    let edited = text.replace("50051", "70000");
    assert_ne!(edited, text, "the record names the port");
    fs::write(dir.path().join("edited.json"), edited).unwrap();
    fs::write(dir.path().join("shop/v1/shop.proto"), SERVICE.replace("port: 50051", "port: 50052")).unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "edited.json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stdout = unwrapped(&String::from_utf8_lossy(&output.stdout));
    assert!(stdout.contains("its kuberpc options do not read as valid"), "{stdout}");
}

#[test]
fn descriptors_that_lost_the_options_compare_no_contract_and_say_so() {
    // prost's types drop extension options: such a set (as kuberpc wrote before it kept them)
    // would otherwise read as every option at its default.
    let dir = service_repository(SERVICE);
    let vocabulary = common::repo_root().join("proto");
    let set = protox::compile(["shop/v1/shop.proto"], [dir.path(), vocabulary.as_path()]).unwrap();
    fs::write(dir.path().join("old.binpb"), prost::Message::encode_to_vec(&set)).unwrap();
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--against", "old.binpb"], dir.path());
    assert_eq!(output.status.code(), Some(0), "no false KUBERPC_* change: {}", stderr(&output));
    let stdout = unwrapped(&String::from_utf8_lossy(&output.stdout));
    assert!(stdout.contains("old.binpb carries no kuberpc option"), "{stdout}");
}

#[test]
fn a_reference_that_cannot_be_the_old_protos_is_refused_not_passed() {
    let dir = repository(&BEFORE.replace("int32 total", "string total"));
    let run =
        |reference: &str| kuberpc(&["check", "shop/v1/shop.proto", &format!("--against={reference}")], dir.path());
    let refused = |reference: &str, why: &str| {
        let output = run(reference);
        assert_eq!(output.status.code(), Some(2), "{reference}: {}", stderr(&output));
        let flat = unwrapped(&stderr(&output));
        assert!(flat.contains(why), "{reference}: {}", stderr(&output));
    };
    // A revision is never read as one of git's options.
    let target = dir.path().join("written-by-git");
    refused(&format!("--output={}", target.display()), "is neither a file nor a git revision");
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("written-by-git")));
    // Another JSON file than a record.
    fs::write(dir.path().join("service-config.json"), r#"{"methodConfig": []}"#).unwrap();
    refused("service-config.json", "not a descriptor record of kuberpc");
    // Descriptors of other files only, and descriptors that do not resolve.
    let other = protox::compile(["google/protobuf/empty.proto"], ["."]).unwrap();
    fs::write(dir.path().join("other.binpb"), prost::Message::encode_to_vec(&other)).unwrap();
    refused("other.binpb", "holds none of the checked files (shop/v1/shop.proto)");
    let mut unresolved = protox::compile(["shop/v1/shop.proto"], [dir.path()]).unwrap();
    unresolved.file[0].dependency.push("missing/import.proto".into());
    fs::write(dir.path().join("unresolved.binpb"), prost::Message::encode_to_vec(&unresolved)).unwrap();
    refused("unresolved.binpb", "does not resolve");
    // --category means nothing without --against.
    let output = kuberpc(&["check", "shop/v1/shop.proto", "--category", "FILE"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
