//! The pipeline end to end: determinism, kustomize builds of the overlays, user templates,
//! ownership of overlays, located option errors.

mod common;

use std::fs;
use std::path::Path;

use kuberpc_codegen::internals::validate_object;
use kuberpc_codegen::Action;
use kuberpc_codegen::Destination;

#[test]
fn generating_twice_gives_identical_bytes_and_no_timestamps() {
    for case in common::all_cases() {
        let first = case.generate_into(Path::new("deploy"));
        let second = case.generate_into(Path::new("deploy"));
        assert_eq!(first.files(Destination::Manifests), second.files(Destination::Manifests), "{}", case.name);
        assert_eq!(first.files(Destination::Stubs), second.files(Destination::Stubs), "{}", case.name);
        for file in first.files(Destination::Manifests).iter().chain(first.files(Destination::Stubs)) {
            let text = String::from_utf8_lossy(&file.content);
            let has_date = text.as_bytes().windows(10).any(|w| {
                w.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() })
            });
            assert!(!has_date, "{} looks like it carries a date", file.path.display());
        }
    }
}

/// The built documents, each checked by its k8s-openapi round trip, as JSON values.
fn built_objects(dir: &Path) -> Vec<serde_json::Value> {
    common::kustomize(dir)
        .split("\n---\n")
        .map(|doc| {
            validate_object(doc).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            serde_yaml::from_str(doc).unwrap()
        })
        .collect()
}

fn find<'a>(objects: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in the build"))
}

#[test]
fn kubectl_kustomize_builds_every_overlay_and_the_patches_apply() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let config = case.config(dir.path());
    config.write(&case.generate_into(dir.path())).unwrap();
    let app = dir.path().join("greeter");

    let base = built_objects(&app.join("base"));
    let kinds: Vec<&str> = base.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    for kind in ["Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PersistentVolumeClaim"] {
        assert!(kinds.contains(&kind), "base lacks {kind}: {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "Service").count(), 2, "ClusterIP and headless Services");
    assert!(find(&base, "Deployment")["spec"].get("replicas").is_none(), "the HPA owns the scale");

    // The greeter declares its environments; each overlay creates its restricted namespace.
    let staging = built_objects(&app.join("overlays/staging"));
    assert!(staging
        .iter()
        .filter(|o| o["kind"] != "Namespace")
        .all(|o| o["metadata"]["namespace"] == "greeter-staging"));
    let namespace = find(&staging, "Namespace");
    assert_eq!(namespace["metadata"]["name"], "greeter-staging");
    assert_eq!(namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted");
    let hpa = &find(&staging, "HorizontalPodAutoscaler")["spec"];
    assert_eq!((hpa["minReplicas"].as_u64(), hpa["maxReplicas"].as_u64()), (Some(2), Some(4)));
    assert_eq!(hpa["metrics"][0]["resource"]["target"]["averageUtilization"], 70, "the base's target is kept");
    let ingress = &find(&staging, "Ingress")["spec"];
    assert_eq!(ingress["rules"][0]["host"], "greeter.staging.example.com");
    assert_eq!(ingress["tls"][0]["hosts"][0], "greeter.staging.example.com");

    let prod = built_objects(&app.join("overlays/prod"));
    assert!(prod.iter().filter(|o| o["kind"] != "Namespace").all(|o| o["metadata"]["namespace"] == "greeter-prod"));
    let hpa = &find(&prod, "HorizontalPodAutoscaler")["spec"];
    assert_eq!((hpa["minReplicas"].as_u64(), hpa["maxReplicas"].as_u64()), (Some(3), Some(20)));
    let resources = &find(&prod, "Deployment")["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert_eq!((&resources["requests"]["cpu"], &resources["limits"]["memory"]), (&"1".into(), &"1Gi".into()));
    assert_eq!(find(&prod, "Ingress")["spec"]["rules"][0]["host"], "greeter.example.com", "the base's host");
}

/// Under mutual TLS each overlay's Certificate names the overlay's own namespace — in its
/// SPIFFE ID and its namespaced DNS names, which the base writes as `default` — and the
/// callee's pods know the identity of a caller in another namespace.
#[test]
fn mutual_tls_certificates_name_each_overlays_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::bank();
    case.config(dir.path()).write(&case.generate_into(dir.path())).unwrap();
    let base = built_objects(&dir.path().join("vault/base"));
    assert_eq!(find(&base, "Certificate")["spec"]["uris"][0], "spiffe://bank.example/ns/default/sa/vault");
    for (app, environment, namespace) in [
        ("teller", "staging", "bank-staging"),
        ("teller", "prod", "teller-prod"),
        ("vault", "staging", "bank-staging"),
        ("vault", "prod", "vault-prod"),
    ] {
        let built = built_objects(&dir.path().join(app).join("overlays").join(environment));
        let certificate = find(&built, "Certificate");
        assert_eq!(certificate["metadata"]["namespace"], namespace, "{app} in {environment}");
        let spec = &certificate["spec"];
        assert_eq!(spec["uris"], serde_json::json!([format!("spiffe://bank.example/ns/{namespace}/sa/{app}")]));
        let dns_names: Vec<String> = [app.to_string(), format!("{app}-headless")]
            .iter()
            .flat_map(|name| [name.clone(), format!("{name}.{namespace}.svc.cluster.local")])
            .collect();
        let mut written: Vec<String> =
            spec["dnsNames"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
        written.sort();
        let mut expected = dns_names;
        expected.sort();
        assert_eq!(written, expected, "{app} in {environment}");
        let pod = &find(&built, "Deployment")["spec"]["template"]["spec"];
        let volume = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "mtls").expect("the mtls volume");
        assert_eq!(volume["secret"]["secretName"], format!("{app}-mtls"));
        let env = pod["containers"][0]["env"].as_array().unwrap();
        let caller = env.iter().find(|e| e["name"] == "KUBERPC_CALLER_TELLER");
        if (app, environment) == ("vault", "prod") {
            let value = &caller.expect("the teller's identity in the vault's prod pods")["value"];
            assert_eq!(value, "spiffe://bank.example/ns/teller-prod/sa/teller");
        } else {
            assert!(caller.is_none(), "{app} in {environment}: a caller beside it needs no identity variable");
        }
    }
}

/// The component takes the namespace from the overlay's Namespace object: an overlay whose
/// `namespace:` was changed alone builds a Certificate naming the old one, which the overlay
/// check (`kuberpc check`, build scripts) reports.
#[test]
fn an_overlay_moved_to_another_namespace_without_its_namespace_object_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::bank();
    let config = case.config(dir.path());
    let generated = case.generate_into(dir.path());
    config.write(&generated).unwrap();
    assert_eq!(config.build_overlays(&generated).broken(), []);
    let overlay = dir.path().join("teller/overlays/prod/kustomization.yaml");
    let text = fs::read_to_string(&overlay).unwrap();
    fs::write(&overlay, text.replace("namespace: \"teller-prod\"", "namespace: \"payments\"")).unwrap();
    let broken = config.build_overlays(&generated);
    let [broken] = broken.broken() else { panic!("one broken overlay: {broken:?}") };
    assert!(broken.dir.ends_with("teller/overlays/prod"), "{broken}");
    assert!(
        broken
            .error
            .contains("Certificate teller-mtls is deployed to namespace \"payments\" but names \"teller-prod\""),
        "{broken}"
    );
}

#[test]
fn without_environments_the_built_in_dev_and_prod_apply() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::route_guide();
    case.config(dir.path()).write(&case.generate_into(dir.path())).unwrap();
    let app = dir.path().join("route-guide");
    let dev = built_objects(&app.join("overlays/dev"));
    assert!(dev.iter().all(|o| o["metadata"]["namespace"] == "dev" || o["metadata"]["name"] == "dev"));
    assert_eq!(find(&dev, "Deployment")["spec"]["replicas"], 1);
    let prod = built_objects(&app.join("overlays/prod"));
    assert_eq!(find(&prod, "Deployment")["spec"]["replicas"], 3);
    let resources = &find(&prod, "Deployment")["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert_eq!((&resources["requests"]["cpu"], &resources["limits"]["memory"]), (&"200m".into(), &"256Mi".into()));
}

#[test]
fn secrets_are_referenced_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(&common::greeter().protos[0]).unwrap();
    let with_secrets = source.replace(
        "    env { key: \"GREETING\" value: \"Hello\" }",
        "    env { key: \"GREETING\" value: \"Hello\" }\n    secret_env: [\"greeter-db\", \"greeter-api\"]",
    );
    assert_ne!(source, with_secrets);
    fs::create_dir_all(dir.path().join("greeter/v1")).unwrap();
    fs::write(dir.path().join("greeter/v1/greeter.proto"), with_secrets).unwrap();
    let generated =
        kuberpc_codegen::Config::new().generate(&[dir.path().join("greeter/v1/greeter.proto")], &[dir.path()]).unwrap();
    let all: String =
        generated.files(Destination::Manifests).iter().map(|f| String::from_utf8_lossy(&f.content)).collect();
    assert!(!all.contains("kind: Secret\n"), "no Secret object is generated");
    let deployment =
        generated.files(Destination::Manifests).iter().find(|f| f.path.ends_with("base/deployment.yaml")).unwrap();
    let deployment: serde_json::Value = serde_yaml::from_slice(&deployment.content).unwrap();
    let env_from = &deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"];
    assert!(env_from[0]["configMapRef"]["name"].as_str().unwrap().starts_with("greeter-env-"), "{env_from}");
    for (index, name) in [(1, "greeter-db"), (2, "greeter-api")] {
        assert_eq!(env_from[index]["secretRef"], serde_json::json!({ "name": name, "optional": false }), "{env_from}");
    }
}

#[test]
fn the_port_comes_from_one_field() {
    let generated = common::greeter().generate_into(Path::new("deploy"));
    // The base (the environments' NetworkPolicy patches restate its rules).
    let text: String = generated
        .files(Destination::Manifests)
        .iter()
        .filter(|f| f.path.starts_with("greeter/base"))
        .map(|f| String::from_utf8_lossy(&f.content).into_owned())
        .collect();
    // The cluster DNS's and the OTLP collector's ports in the NetworkPolicy's egress are not
    // the service's.
    let theirs = |l: &str| l.ends_with("port: 53") || l.ends_with("port: 4317");
    let ports: Vec<&str> =
        text.lines().filter(|l| (l.contains("port: ") || l.contains("Port: ")) && !theirs(l)).collect();
    let (numeric, named): (Vec<&str>, Vec<&str>) =
        ports.iter().partition(|l| l.ends_with(|c: char| c.is_ascii_digit()));
    let (grpc, metrics): (Vec<&str>, Vec<&str>) = numeric.iter().partition(|l| l.ends_with(" 50051"));
    assert_eq!(grpc.len(), 7, "containerPort, 3 probes, 2 Services, the HTTPRoute's backend (a number): {grpc:?}");
    assert_eq!(
        metrics,
        ["              containerPort: 9090", "      port: 9090"],
        "the metrics port: the container's and the headless Service's (for the ServiceMonitor)"
    );
    let (grpc, metrics): (Vec<&str>, Vec<&str>) = named.iter().partition(|l| l.ends_with(": grpc"));
    assert!(grpc.iter().all(|l| l.ends_with("Port: grpc") || l.ends_with("- port: grpc")), "by name: {grpc:?}");
    assert_eq!(grpc.len(), 4, "2 Service targetPorts and the NetworkPolicy's (the caller's, the ingress's): {grpc:?}");
    assert_eq!(
        metrics,
        ["      targetPort: metrics", "        - port: metrics", "    - port: metrics"],
        "by name: the headless Service's target, the NetworkPolicy's scrape rule, the ServiceMonitor's endpoint"
    );
}

/// Generates the route guide with `template` overridden by `edit` of the embedded one; the error.
fn error_with_edited_template(template: &str, edit: impl Fn(&str) -> String) -> String {
    let templates = tempfile::tempdir().unwrap();
    let embedded = fs::read_to_string(common::repo_root().join(format!("templates/{template}.yaml.hbs"))).unwrap();
    let edited = edit(&embedded);
    assert_ne!(embedded, edited);
    fs::write(templates.path().join(format!("{template}.yaml.hbs")), edited).unwrap();
    let case = common::route_guide();
    let mut config = case.config(Path::new("deploy"));
    config.templates_dir(templates.path());
    config.generate(&case.protos, &case.includes).unwrap_err().to_string()
}

#[test]
fn a_bad_value_is_reported_at_its_own_key_not_the_first_key_of_that_name() {
    // `metadata.name` comes first in the file; the bad one is the port's name.
    let error =
        error_with_edited_template("service", |t| t.replace("    - name: {{names.port}}", "    - name: {{port}}"));
    assert!(error.contains("field `spec.ports[0].name`"), "{error}");
    assert!(error.contains("service.yaml.hbs:16:7"), "{error}");
}

#[test]
fn a_field_of_the_pod_partial_is_reported_inside_the_partial() {
    let error = error_with_edited_template("pod", |t| t.replace("containerPort:", "contianerPort:"));
    assert!(error.contains("field `spec.template.spec.containers[0].ports[0].contianerPort`"), "{error}");
    let pod = fs::read_to_string(common::repo_root().join("templates/pod.yaml.hbs")).unwrap();
    let line = pod.lines().position(|l| l.trim_start().starts_with("containerPort:")).unwrap() + 1;
    assert!(error.contains(&format!("pod.yaml.hbs:{line}:15")), "{error}");
    assert!(!error.contains("deployment.yaml.hbs:"), "{error}");
}

#[test]
fn a_misspelled_field_in_a_user_template_is_rejected_by_name() {
    let templates = tempfile::tempdir().unwrap();
    let embedded = fs::read_to_string(common::repo_root().join("templates/deployment.yaml.hbs")).unwrap();
    let misspelled = embedded.replace("  replicas: {{replicas}}", "  replica: {{replicas}}");
    assert_ne!(embedded, misspelled);
    fs::write(templates.path().join("deployment.yaml.hbs"), misspelled).unwrap();

    let case = common::route_guide();
    let mut config = case.config(Path::new("deploy"));
    config.templates_dir(templates.path());
    let error = config.generate(&case.protos, &case.includes).unwrap_err().to_string();
    assert!(error.contains("Deployment route-guide: field `spec.replica` is not a field of this object"), "{error}");
    assert!(error.contains("deployment.yaml.hbs:11:3"), "{error}");
}

#[test]
fn a_user_template_with_an_unknown_name_is_rejected() {
    let templates = tempfile::tempdir().unwrap();
    fs::write(templates.path().join("deploymnet.yaml.hbs"), "").unwrap();
    let case = common::route_guide();
    let mut config = case.config(Path::new("deploy"));
    config.templates_dir(templates.path());
    let error = config.generate(&case.protos, &case.includes).unwrap_err().to_string();
    assert!(error.contains("no template is called \"deploymnet\""), "{error}");
    assert!(error.contains("did you mean deployment.yaml.hbs?"), "{error}");
}

#[test]
fn regenerating_leaves_edited_overlays_alone_and_restores_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let config = case.config(dir.path());
    config.write(&case.generate_into(dir.path())).unwrap();

    let overlay = dir.path().join("greeter/overlays/prod/kustomization.yaml");
    let edited = format!("{}patches:\n  - path: mine.yaml\n", fs::read_to_string(&overlay).unwrap());
    fs::write(&overlay, &edited).unwrap();
    let base = dir.path().join("greeter/base/service.yaml");
    let component = dir.path().join("greeter/components/prod/replicas.yaml");
    let (pristine, pristine_component) = (fs::read(&base).unwrap(), fs::read(&component).unwrap());
    fs::write(&base, [pristine.as_slice(), b"# hand edit\n"].concat()).unwrap();
    fs::write(&component, [pristine_component.as_slice(), b"# hand edit\n"].concat()).unwrap();

    let report = config.write(&case.generate_into(dir.path())).unwrap();
    assert_eq!(fs::read_to_string(&overlay).unwrap(), edited);
    assert_eq!(fs::read(&base).unwrap(), pristine);
    assert_eq!(fs::read(&component).unwrap(), pristine_component, "components follow the source");
    let action = |path: &Path| report.iter().find(|(p, _)| p == path).map(|(_, a)| *a);
    assert_eq!(action(&overlay), Some(Action::Kept));
    assert_eq!(action(&base), Some(Action::Updated));
    assert_eq!(action(&component), Some(Action::Updated));
    assert_eq!(action(&dir.path().join("greeter/base/deployment.yaml")), Some(Action::Unchanged));
}

#[test]
fn option_mistakes_are_all_reported_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let proto = "syntax = \"proto3\";\npackage bad.v1;\nimport \"kuberpc/v1/options.proto\";\n\
        service Bad {\n  option (kuberpc.v1.service) = {\n    port: 70000\n    autoscale { min: 5 max: 3 }\n  };\n\
        rpc Get(Msg) returns (Msg);\n}\nmessage Msg {}\n";
    fs::write(dir.path().join("bad.proto"), proto).unwrap();
    let error = kuberpc_codegen::Config::new().generate(&[dir.path().join("bad.proto")], &[dir.path()]).unwrap_err();
    let lines: Vec<String> = error.problems().iter().map(|p| p.to_string()).collect();
    // The single-field problem and the cross-field one, in the same run.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with("bad.proto:6:5: port 70000 is out of range: it must be between 1 and 65535"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("bad.proto:7:17: autoscale.min (5) is greater than autoscale.max (3)"), "{lines:?}");
}

#[test]
fn a_proto_syntax_error_is_located() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("broken.proto"), "syntax = \"proto3\";\nmessage M {\n  string name = ;\n}\n").unwrap();
    let error = kuberpc_codegen::Config::new()
        .generate(&[dir.path().join("broken.proto")], &[dir.path()])
        .unwrap_err()
        .to_string();
    assert!(error.contains("broken.proto:3:17"), "{error}");
}

#[test]
fn single_writer_storage_with_several_replicas_becomes_a_stateful_set() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::ledger();
    case.config(dir.path()).write(&case.generate_into(dir.path())).unwrap();
    let prod = built_objects(&dir.path().join("ledger/overlays/prod"));
    let kinds: Vec<&str> = prod.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"Deployment") && !kinds.contains(&"PersistentVolumeClaim"), "{kinds:?}");
    let set = &find(&prod, "StatefulSet")["spec"];
    assert_eq!(set["serviceName"], "ledger-headless");
    assert_eq!(set["volumeClaimTemplates"][0]["spec"]["accessModes"][0], "ReadWriteOnce");
    assert_eq!(find(&prod, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["kind"], "StatefulSet");
    let route = find(&prod, "GRPCRoute");
    assert_eq!(route["spec"]["rules"][0]["matches"].as_array().unwrap().len(), 2, "one match per RPC");
    let pod = &set["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 60);
    assert_eq!(pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"], 10);
}

#[test]
fn forcing_a_deployment_onto_single_writer_storage_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(common::ledger().protos[0].clone()).unwrap();
    let forced = source.replace("drain_seconds: 10", "drain_seconds: 10\n    workload: \"Deployment\"");
    fs::write(dir.path().join("ledger.proto"), forced).unwrap();
    let error = kuberpc_codegen::Config::new()
        .generate(&[dir.path().join("ledger.proto")], &[dir.path()])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "storage.access_mode ReadWriteOnce cannot be shared by up to 5 replicas of the Deployment ledger"
        ),
        "{error}"
    );
}

#[test]
fn changing_an_env_value_renames_the_config_map_and_rolls_the_pods() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(common::greeter().protos[0].clone()).unwrap();
    let name_of_map = |proto: &str| {
        fs::write(dir.path().join("greeter.proto"), proto).unwrap();
        let generated =
            kuberpc_codegen::Config::new().generate(&[dir.path().join("greeter.proto")], &[dir.path()]).unwrap();
        let deployment =
            generated.files(Destination::Manifests).iter().find(|f| f.path.ends_with("base/deployment.yaml")).unwrap();
        let text = String::from_utf8(deployment.content.clone()).unwrap();
        text.lines().find(|l| l.contains("greeter-env-")).unwrap().trim().to_string()
    };
    let before = name_of_map(&source);
    let after = name_of_map(&source.replace("value: \"Hello\"", "value: \"Hi\""));
    assert_ne!(before, after);
}
