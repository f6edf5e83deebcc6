//! The manifest back end: one service → its kustomize base, one Component per environment
//! and the environments' starting-point overlays.
//!
//! Each object is rendered from its own template ([`Templates`]) with the service's view,
//! then validated by a typed round trip through k8s-openapi (components hold patches, which
//! kustomize checks when it builds an overlay). Base and component files carry the
//! generated header ([`crate::header`]) and follow the source on every run; overlays carry none,
//! because they belong to the user.
//! Entry point: [`render`].

mod gateway;
mod locate;
mod rules;
mod service_monitor;
mod templates;
mod validate;
mod view;

pub use templates::Templates;

use crate::error::{Error, Problem, Problems};
use crate::model::{Deploy, Package, Service, Workload};
use crate::schema::OptionPath;

/// The first line of every base file: it marks the file as kuberpc's and names its source
/// and its service ([`crate::header`]).
fn header(service: &Service) -> String {
    format!("{}\n", crate::header::line("#", &service.source_file, &service.full_name))
}

/// The rendered files of one app, paths relative to `deploy/<app>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppManifests {
    /// The app name (directory name).
    pub app: String,
    /// `base/…` files: regenerated on every run.
    pub base: Vec<(String, String)>,
    /// `components/<env>/…` files: regenerated on every run.
    pub components: Vec<(String, String)>,
    /// `overlays/<env>/…` files: created once, then the user's.
    pub overlays: Vec<(String, String)>,
    /// Files in `deploy/<app>/` itself, regenerated on every run (the Dockerfile).
    pub image: Vec<(String, String)>,
    /// Files in `deploy/<app>/` itself, created once (the Dockerfile's ignore file).
    pub image_seeds: Vec<(String, String)>,
}

/// The files of each environment's Component, with their templates.
const COMPONENT_FILES: [(&str, &str); 3] = [
    ("kustomization.yaml", "component-kustomization"),
    ("replicas.yaml", "component-replicas"),
    ("resources.yaml", "component-resources"),
];

/// The seeded files of each environment's overlay, with their templates.
const OVERLAY_FILES: [(&str, &str); 2] =
    [("kustomization.yaml", "overlay-kustomization"), ("namespace.yaml", "overlay-namespace")];

/// One base object: its template, its file and whether the service asks for it.
struct Object {
    template: &'static str,
    file: &'static str,
    wanted: fn(&Deploy) -> bool,
}

/// The base objects, in the order they are listed in `kustomization.yaml`.
const OBJECTS: [Object; 13] = [
    Object { template: "serviceaccount", file: "serviceaccount.yaml", wanted: |_| true },
    Object { template: "configmap", file: "configmap.yaml", wanted: |d| !d.env.is_empty() },
    Object { template: "deployment", file: "deployment.yaml", wanted: |d| d.workload == Workload::Deployment },
    Object { template: "statefulset", file: "statefulset.yaml", wanted: |d| d.workload == Workload::StatefulSet },
    Object { template: "service", file: "service.yaml", wanted: |_| true },
    Object { template: "service-headless", file: "service-headless.yaml", wanted: |_| true },
    Object { template: "pdb", file: "pdb.yaml", wanted: |d| d.max_replicas() >= 2 },
    Object { template: "networkpolicy", file: "networkpolicy.yaml", wanted: |_| true },
    Object { template: "hpa", file: "hpa.yaml", wanted: |d| d.autoscale.is_some() },
    Object { template: "ingress", file: "ingress.yaml", wanted: |d| d.ingress.is_some() },
    Object { template: "grpcroute", file: "grpcroute.yaml", wanted: |d| d.gateway.is_some() },
    Object { template: "servicemonitor", file: "servicemonitor.yaml", wanted: |d| d.observability.service_monitor },
    // A StatefulSet claims its volumes through volumeClaimTemplates instead.
    Object { template: "pvc", file: "pvc.yaml", wanted: |d| d.storage.is_some() && d.workload == Workload::Deployment },
];

/// Checks one Kubernetes document (as kuberpc renders or kustomize builds it) by its typed
/// round trip; the error names the object and the first field that does not survive.
pub fn validate_object(yaml: &str) -> Result<(), String> {
    validate::validate(yaml).map(drop).map_err(|m| format!("{} field `{}` {}", m.object, m.path, m.reason))
}

/// Renders and validates every file of `service`'s app; reports every failing template.
pub fn render(package: &Package, service: &Service, templates: &Templates) -> Result<AppManifests, Error> {
    let mut problems = Problems::default();
    let view = view::service_view(package, service);
    let header = header(service);
    let mut base = Vec::new();
    let mut documents = Vec::new();
    let wanted = OBJECTS.iter().filter(|o| (o.wanted)(&service.deploy));
    for object in wanted {
        if let Some((yaml, document)) = render_validated(templates, object.template, &view, &mut problems) {
            base.push((object.file.to_string(), format!("{header}{yaml}")));
            documents.push(document);
        }
    }
    if problems.is_empty() {
        cross_object_rules(service, documents, &mut problems);
    }
    let mut kustomization_view = view.clone();
    kustomization_view["resources"] = base.iter().map(|(file, _)| file.as_str()).collect();
    kustomization_view["service_config"] = serde_json::json!({
        "file": crate::service_config::FILE,
        "config_map": crate::service_config::config_map_name(&service.deploy.app),
    });
    base.push((crate::service_config::FILE.to_string(), crate::service_config::file(service)));
    if let Some((yaml, _)) = render_validated(templates, "kustomization", &kustomization_view, &mut problems) {
        base.push(("kustomization.yaml".to_string(), format!("{header}{yaml}")));
    }

    let (mut components, mut overlays) = (Vec::new(), Vec::new());
    for environment in &service.deploy.environments {
        let view = view::environment_view(&view, environment);
        let name = &environment.name;
        for (file, template) in COMPONENT_FILES {
            if let Ok(yaml) = templates.render(template, &view).map_err(|p| problems.push(p)) {
                components.push((format!("{name}/{file}"), format!("{header}{yaml}")));
            }
        }
        for (file, template) in OVERLAY_FILES {
            if let Ok(yaml) = templates.render(template, &view).map_err(|p| problems.push(p)) {
                overlays.push((format!("{name}/{file}"), yaml));
            }
        }
    }
    let image =
        vec![(crate::dockerfile::FILE.to_string(), format!("{header}{}", crate::dockerfile::dockerfile(service)))];
    let image_seeds = vec![(crate::dockerfile::IGNORE_FILE.to_string(), crate::dockerfile::dockerignore())];
    problems.finish(AppManifests { app: service.deploy.app.clone(), base, components, overlays, image, image_seeds })
}

/// Runs the cross-object rules on the rendered base; violations point at the service.
fn cross_object_rules(service: &Service, documents: Vec<serde_json::Value>, problems: &mut Problems) {
    let set = match rules::RenderedSet::from_documents(documents) {
        Ok(set) => set,
        Err(e) => {
            return problems.push(Problem::new(format!("internal error: a validated object does not parse: {e}")))
        }
    };
    for violation in rules::check_set(&set) {
        problems.push(Problem::at(format!("{}: {violation}", service.deploy.app), service.spans.get(OptionPath::ITEM)));
    }
}

/// Renders one template and validates the result; problems point into the template.
fn render_validated(
    templates: &Templates,
    template: &str,
    view: &serde_json::Value,
    problems: &mut Problems,
) -> Option<(String, serde_json::Value)> {
    let yaml = templates.render(template, view).map_err(|p| problems.push(p)).ok()?;
    match validate::validate(&yaml) {
        Ok(document) => Some((yaml, document)),
        Err(mismatch) => {
            // At the field's own key, in the template or partial that writes it (or at its
            // deepest written parent): a template error always points into a template file.
            let span = locate::field_span(templates, template, &mismatch.path);
            let at = if mismatch.path.is_empty() { String::new() } else { format!(" field `{}`", mismatch.path) };
            problems.push(Problem::at(
                format!("template {template} renders {}:{at} {}", mismatch.object, mismatch.reason),
                span,
            ));
            None
        }
    }
}
