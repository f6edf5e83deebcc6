//! The deploy tree of one service, `deploy/<app>/`: its kustomize base, one Component per
//! environment, the environments' starting-point overlays and the Dockerfile.
//!
//! Every file is one row of [`outputs::OUTPUTS`]: a template ([`Templates`], rendered with the
//! service's typed view, [`view`]) or a function of the model, checked as the row says (a
//! typed round trip through k8s-openapi for objects; components hold patches, which kustomize
//! checks when it builds an overlay), and the base objects together by the cross-object rules.
//! Generated files carry the header ([`crate::header`]) and follow the source on every run;
//! overlays carry none, because they belong to the user.
//! Entry point: [`render`].

mod certificate;
mod dashboard;
mod gateway;
mod kustomization;
mod locate;
mod network;
mod outputs;
mod prometheus_rule;
mod rules;
mod service_monitor;
mod slo;
#[cfg(test)]
mod template_names;
mod templates;
mod validate;
mod view;

pub use templates::Templates;

use std::path::Path;

use outputs::{Check, Output, Place, Source, Typed, OUTPUTS};
use serde::Serialize;

use crate::error::{Error, Problem, Problems};
use crate::model::{Package, Service};
use crate::schema::OptionPath;
use crate::writer::{OutputFile, Ownership};

/// The first line of every base file: it marks the file as kuberpc's and names its source
/// and its service ([`crate::header`]).
fn header(service: &Service) -> String {
    format!("{}\n", crate::header::line("#", &service.source_file, &service.full_name))
}

/// Checks one Kubernetes document (as kuberpc renders or kustomize builds it) by its typed
/// round trip; the error names the object and the first field that does not survive.
pub fn validate_object(yaml: &str) -> Result<(), String> {
    validate::validate(yaml).map(drop).map_err(|m| format!("{} field `{}` {}", m.object, m.path, m.reason))
}

/// Renders and checks every file of `service`'s app (`<app>/…` paths); reports every failing
/// output.
pub fn render(package: &Package, service: &Service, templates: &Templates) -> Result<Vec<OutputFile>, Error> {
    let wanted: Vec<&Output> = OUTPUTS.iter().filter(|o| (o.wanted)(service)).collect();
    let resources = wanted.iter().filter(|o| o.place == Place::Resource).map(|o| o.file).collect();
    let view = view::service_view(package, service, resources);
    let mut run = Run::new(templates, service);
    for place in Place::ALL {
        let outputs = wanted.iter().filter(|o| o.place == place);
        if place.per_environment() {
            for environment in &service.deploy.environments {
                let view = view::environment_view(&view, service, environment);
                outputs.clone().for_each(|output| run.output(output, &environment.name, &view));
            }
        } else {
            outputs.for_each(|output| run.output(output, "", &view));
        }
        if place == Place::Resource && run.problems.is_empty() {
            cross_object_rules(service, std::mem::take(&mut run.documents), &mut run.problems);
        }
    }
    run.problems.finish(run.files)
}

/// One app's rendering under way: the files so far, the base objects for the cross-object
/// rules, the problems.
struct Run<'a> {
    templates: &'a Templates,
    service: &'a Service,
    header: String,
    files: Vec<OutputFile>,
    documents: Vec<serde_json::Value>,
    problems: Problems,
}

impl<'a> Run<'a> {
    fn new(templates: &'a Templates, service: &'a Service) -> Self {
        let (files, documents, problems) = (Vec::new(), Vec::new(), Problems::default());
        Self { templates, service, header: header(service), files, documents, problems }
    }

    /// Adds `output` (in `environment`'s directory, when it has one) unless it fails.
    fn output(&mut self, output: &Output, environment: &str, view: &impl Serialize) {
        let Some(text) = self.text(output, view) else {
            return;
        };
        let ownership = output.place.ownership();
        let content = match output.source {
            Source::Template { .. } | Source::Text(_) if ownership == Ownership::Generated => {
                format!("{}{text}", self.header)
            }
            _ => text,
        };
        let path = Path::new(&self.service.deploy.app).join(output.place.dir()).join(environment).join(output.file);
        self.files.push(OutputFile { path, content: content.into_bytes(), ownership });
    }

    /// The output's text after the header, checked; base objects are kept for the rules.
    fn text(&mut self, output: &Output, view: &impl Serialize) -> Option<String> {
        let (text, template) = match output.source {
            Source::Template { name, .. } => {
                (self.templates.render(name, view).map_err(|p| self.problems.push(p)).ok()?, name)
            }
            Source::Text(text) | Source::File(text) => (text(self.service), output.file),
        };
        if let Check::Typed(typed) = output.check {
            let document = validated(self.templates, template, &text, typed, &mut self.problems)?;
            if output.place == Place::Resource {
                self.documents.push(document);
            }
        }
        Some(text)
    }
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

/// The parsed document of `text`, rendered by `template`, when it survives its typed round
/// trip; problems point into the template.
fn validated(
    templates: &Templates,
    template: &str,
    text: &str,
    typed: Typed,
    problems: &mut Problems,
) -> Option<serde_json::Value> {
    match validate::validate_as(text, typed) {
        Ok(document) => Some(document),
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

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;

    /// The one package of `proto` (under `include`, relative to the repository root).
    pub(crate) fn fixture(include: &str, proto: &str) -> Package {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let compiled = crate::proto::compile(&[root.join(include).join(proto)], &[root.join(include)]).unwrap();
        assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
        compiled.packages.into_iter().next().unwrap()
    }

    /// Between them, the greeter (a Deployment with storage, ingress, monitor, environments,
    /// called by the front), the ledger (a StatefulSet behind a Gateway), the front (calling
    /// the greeter and the journal) and the bank (a teller calling a vault under mutual TLS,
    /// from another namespace in prod) render every template; the quiet service renders them
    /// with every optional part off (no metrics: `metrics` is null).
    pub(crate) fn fixtures() -> [Package; 5] {
        let mut packages = [
            fixture("examples/greeter/proto", "greeter/v1/greeter.proto"),
            fixture("codegen/tests/fixtures", "ledger/v1/ledger.proto"),
            fixture("codegen/tests/fixtures", "quiet/v1/quiet.proto"),
            fixture("examples/front/proto", "front/v1/front.proto"),
            fixture("codegen/tests/fixtures", "bank/v1/bank.proto"),
        ];
        let peers = [fixture("examples/journal/proto", "journal/v1/journal.proto")];
        let mut problems = crate::error::Problems::default();
        crate::graph::resolve(&mut packages, &peers, &mut problems);
        assert!(problems.is_empty(), "{:?}", problems.into_vec());
        packages
    }

    /// The problems of rendering every fixture with `templates`.
    fn problems(templates: &Templates) -> Vec<String> {
        let packages = fixtures();
        let renders = packages.iter().flat_map(|p| p.services.iter().map(move |s| render(p, s, templates)));
        renders
            .filter_map(Result::err)
            .flat_map(|e| e.problems().iter().map(|p| p.to_string()).collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn every_template_fails_on_a_name_no_view_has() {
        assert_eq!(problems(&Templates::embedded()), Vec::<String>::new());
        for (name, text) in outputs::templates() {
            let dir = tempfile::tempdir().unwrap();
            for mistake in
                ["{{no_such_field}}", "{{#if no_such_field}}x{{/if}}", "{{#unless no_such_field}}x{{/unless}}"]
            {
                std::fs::write(dir.path().join(format!("{name}.yaml.hbs")), format!("{text}{mistake}\n")).unwrap();
                let found = problems(&Templates::with_overrides(dir.path()).unwrap());
                assert!(
                    found.iter().any(|p| p.contains("no_such_field")),
                    "template {name} renders {mistake}: {found:?}"
                );
            }
        }
    }
}
