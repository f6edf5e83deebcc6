//! Every name a template reads exists in the view it is rendered with, in every block — also in
//! the blocks no fixture renders, which strict mode never sees. A view's shape is the union of its
//! serializations over the fixtures (a view struct serializes every field, `None` as null), and
//! each template's syntax tree is walked against it, scope by scope (`#each` enters the element,
//! a partial the context it is given, or its caller's). A name reached through a value no fixture ever sets
//! cannot be checked, and fails too: the fixtures must cover every part of every view.

use std::collections::BTreeMap;

use handlebars::template::{HelperTemplate, Parameter, Template, TemplateElement};
use serde_json::Value;

use super::outputs::{self, Source, OUTPUTS};
use super::tests::fixtures;
use super::view;

/// `into` grows by `from`: objects by their keys, arrays into one element's shape, null by anything.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (Value::Array(into), Value::Array(from)) => {
            for element in from {
                match into.first_mut() {
                    Some(shape) => merge(shape, element),
                    None => into.push(element),
                }
            }
        }
        (into @ Value::Null, from) => *into = from,
        _ => {}
    }
}

/// The shapes of the service view and of the environment view, over every fixture.
fn view_shapes() -> (Value, Value) {
    let (mut service_shape, mut environment_shape) = (Value::Null, Value::Null);
    for package in fixtures() {
        for service in &package.services {
            let service_view = view::service_view(&package, service, vec!["deployment.yaml"]);
            merge(&mut service_shape, serde_json::to_value(&service_view).unwrap());
            for environment in &service.deploy.environments {
                let environment_view = view::environment_view(&service_view, service, environment);
                merge(&mut environment_shape, serde_json::to_value(&environment_view).unwrap());
            }
        }
    }
    (service_shape, environment_shape)
}

/// An output template: its name, whether it sees the environment's view, its syntax tree.
type OutputTemplate = (&'static str, bool, Template);
/// The partials by name.
type Partials = BTreeMap<&'static str, Template>;

/// Walks templates against a shape, collecting the names no view has.
struct Walk<'a> {
    partials: &'a Partials,
    template: &'static str,
    problems: Vec<String>,
}

impl Walk<'_> {
    fn template(&mut self, template: &Template, scope: &Value) {
        for element in &template.elements {
            match element {
                TemplateElement::RawString(_) | TemplateElement::Comment(_) => {}
                TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                    self.expression(helper, scope)
                }
                TemplateElement::HelperBlock(helper) => self.block(helper, scope),
                TemplateElement::PartialExpression(partial) => match &partial.name {
                    Parameter::Name(name) | Parameter::Path(handlebars::Path::Relative((_, name))) => {
                        // `{{> name context}}` renders the partial in `context`.
                        let context = match partial.params.first() {
                            Some(param) => self.param(param, scope).unwrap_or(Value::Null),
                            None => scope.clone(),
                        };
                        match self.partials.get(name.as_str()) {
                            Some(template) => self.template(template, &context),
                            None => self.problems.push(format!("{}: no partial {name}", self.template)),
                        }
                    }
                    other => self.problems.push(format!("{}: a partial named by {other:?}", self.template)),
                },
                other => self.problems.push(format!("{}: unexpected {other:?}", self.template)),
            }
        }
    }

    /// `{{name}}` or `{{helper param…}}`.
    fn expression(&mut self, helper: &HelperTemplate, scope: &Value) {
        match (&helper.name, helper.params.is_empty()) {
            (Parameter::Name(name), true) | (Parameter::Path(handlebars::Path::Relative((_, name))), true) => {
                self.resolve(name, scope);
            }
            _ => helper.params.iter().for_each(|param| drop(self.param(param, scope))),
        }
    }

    fn block(&mut self, helper: &HelperTemplate, scope: &Value) {
        let Parameter::Name(name) = &helper.name else {
            return self.problems.push(format!("{}: a block named by {:?}", self.template, helper.name));
        };
        let subject = helper.params.first().and_then(|param| self.param(param, scope));
        let inner = match name.as_str() {
            "if" | "unless" => scope.clone(),
            "each" => match subject {
                Some(Value::Array(elements)) => elements.first().cloned().unwrap_or(Value::Null),
                Some(Value::Object(entries)) => {
                    let mut shape = Value::Null;
                    entries.values().for_each(|value| merge(&mut shape, value.clone()));
                    shape
                }
                _ => Value::Null,
            },
            other => return self.problems.push(format!("{}: unknown block helper {other}", self.template)),
        };
        if let Some(template) = &helper.template {
            self.template(template, &inner);
        }
        if let Some(inverse) = &helper.inverse {
            self.template(inverse, scope);
        }
    }

    fn param(&mut self, param: &Parameter, scope: &Value) -> Option<Value> {
        match param {
            Parameter::Path(handlebars::Path::Relative((_, raw))) => self.resolve(raw, scope),
            Parameter::Path(handlebars::Path::Local(_)) | Parameter::Literal(_) => None,
            other => {
                self.problems.push(format!("{}: unexpected parameter {other:?}", self.template));
                None
            }
        }
    }

    /// The shape at `raw` (`a.b`, `this`, `this.a`) from `scope`; a problem when it is not there.
    fn resolve(&mut self, raw: &str, scope: &Value) -> Option<Value> {
        let mut at = scope;
        for segment in raw.split(['.', '/']).filter(|s| *s != "this") {
            let next = match at {
                Value::Object(fields) => fields.get(segment),
                _ => None,
            };
            match (next, at) {
                (Some(next), _) => at = next,
                (None, Value::Null) => {
                    self.problems.push(format!("{}: `{raw}` is under a value no fixture sets", self.template));
                    return None;
                }
                (None, _) => {
                    self.problems.push(format!("{}: no view has `{raw}`", self.template));
                    return None;
                }
            }
        }
        Some(at.clone())
    }
}

/// The names of every template, walked against the view it is rendered with.
fn problems_of(
    templates: &[(&'static str, bool, Template)],
    partials: &BTreeMap<&'static str, Template>,
) -> Vec<String> {
    let (service_shape, environment_shape) = view_shapes();
    let mut walk = Walk { partials, template: "", problems: Vec::new() };
    for (name, per_environment, template) in templates {
        walk.template = name;
        walk.template(template, if *per_environment { &environment_shape } else { &service_shape });
    }
    walk.problems
}

fn compiled(text: &str) -> Template {
    Template::compile(text).unwrap()
}

/// Every output template with whether it sees the environment's view, and every template by name.
fn registry_templates() -> (Vec<OutputTemplate>, Partials) {
    let templates = OUTPUTS
        .iter()
        .filter_map(|output| match output.source {
            Source::Template { name, text } => Some((name, output.place.per_environment(), compiled(text))),
            Source::Text(_) | Source::File(_) => None,
        })
        .collect();
    // Every template by name: a partial is looked up by its name (outputs are never included).
    let partials = outputs::templates().map(|(name, text)| (name, compiled(text))).collect();
    (templates, partials)
}

#[test]
fn every_name_every_template_reads_is_in_its_view() {
    let (templates, partials) = registry_templates();
    assert_eq!(problems_of(&templates, &partials), Vec::<String>::new());
}

/// The walk finds a misspelt name in a block no fixture renders, in a partial and in an
/// element of a list (what strict mode alone misses in untaken blocks).
#[test]
fn a_misspelt_name_in_any_block_is_found() {
    let (mut templates, partials) = registry_templates();
    let (name, per_environment, _) = templates.remove(0);
    for (mistake, expected) in [
        ("{{#if false}}{{no_such_field}}{{/if}}", "no view has `no_such_field`"),
        ("{{#each labels}}{{this.no_such_field}}{{/each}}", "no_such_field"),
        ("{{#each env}}{{json nam}}{{/each}}", "no view has `nam`"),
    ] {
        let mut all = templates.clone();
        all.push((name, per_environment, compiled(mistake)));
        let found = problems_of(&all, &partials);
        assert!(found.iter().any(|p| p.contains(expected)), "{mistake}: {found:?}");
    }
}
