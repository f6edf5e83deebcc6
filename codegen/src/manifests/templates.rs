//! The handlebars templates ([`outputs`] names them), embedded in the binary and
//! overridable file by file from a user directory.
//!
//! The registry runs in strict mode (a missing variable is an error, not an empty string),
//! with `if` and `unless` as strict (handlebars' own read a missing name as false: a
//! misspelt condition would silently drop its block), and with HTML escaping off (this is
//! YAML); scalars go through the `json` helper, which quotes strings so that no value can
//! change the YAML structure around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{
    handlebars_helper, Context, Handlebars, Helper, HelperDef, HelperResult, JsonTruthy, Output, RenderContext,
    RenderErrorReason, Renderable,
};

use super::outputs;
use crate::error::{Error, Problem, Problems, SourceFile};
use crate::suggest::closest;

const EXTENSION: &str = ".yaml.hbs";

handlebars_helper!(json: |value: Json| serde_json::to_string(value).unwrap_or_default());

/// `{{#if name}}` (`positive`) or `{{#unless name}}` that fails when `name` is in no view.
#[derive(Clone, Copy)]
struct StrictCondition {
    positive: bool,
}

impl HelperDef for StrictCondition {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("if", 0))?;
        if param.is_value_missing() {
            let name = param.relative_path().map_or("?", String::as_str);
            return Err(
                RenderErrorReason::Other(format!("`{{{{#{} {name}}}}}`: no view has `{name}`", h.name())).into()
            );
        }
        let include_zero = h.hash_get("includeZero").and_then(|v| v.value().as_bool()).unwrap_or(false);
        let taken = param.value().is_truthy(include_zero) == self.positive;
        match if taken { h.template() } else { h.inverse() } {
            Some(block) => block.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// The template set used for one run.
#[derive(Debug)]
pub struct Templates {
    registry: Handlebars<'static>,
    sources: BTreeMap<String, SourceFile>,
    overrides: Vec<PathBuf>,
}

impl Templates {
    /// The embedded templates only.
    pub fn embedded() -> Self {
        Self::load(None).expect("the embedded templates compile")
    }

    /// The embedded templates, each replaced by `<dir>/<name>.yaml.hbs` when that file exists.
    /// A file in `dir` that matches no template is an error (a misspelled name would
    /// otherwise be ignored).
    pub fn with_overrides(dir: &Path) -> Result<Self, Error> {
        Self::load(Some(dir))
    }

    fn load(dir: Option<&Path>) -> Result<Self, Error> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("json", Box::new(json));
        registry.register_helper("if", Box::new(StrictCondition { positive: true }));
        registry.register_helper("unless", Box::new(StrictCondition { positive: false }));
        let mut problems = Problems::default();
        let mut sources = BTreeMap::new();
        let mut overrides = Vec::new();
        if let Some(dir) = dir {
            check_override_names(dir, &mut problems);
        }
        for (name, embedded) in outputs::templates() {
            let user_file = dir.map(|d| d.join(format!("{name}{EXTENSION}"))).filter(|p| p.is_file());
            let source = match &user_file {
                Some(path) => match std::fs::read_to_string(path) {
                    Ok(text) => SourceFile::new(path.display().to_string(), text),
                    Err(e) => {
                        problems.push(Problem::new(format!("cannot read template {}: {e}", path.display())));
                        continue;
                    }
                },
                None => SourceFile::new(format!("templates/{name}{EXTENSION}"), embedded),
            };
            if let Err(e) = registry.register_template_string(name, source.text()) {
                let span = e.pos().map(|(line, column)| source.span_lines(line - 1, column - 1, line - 1, column));
                problems.push(Problem::at(format!("template syntax error: {}", e.reason()), span));
            }
            overrides.extend(user_file);
            sources.insert(name.to_string(), source);
        }
        problems.finish(Self { registry, sources, overrides })
    }

    /// The user template files in use, for `cargo:rerun-if-changed`.
    pub fn overrides(&self) -> &[PathBuf] {
        &self.overrides
    }

    /// The file a template was loaded from, as shown to the user.
    pub fn source(&self, name: &str) -> Option<&SourceFile> {
        self.sources.get(name)
    }

    /// Renders template `name` with `data`; errors point into the template.
    pub(crate) fn render(&self, name: &str, data: &impl serde::Serialize) -> Result<String, Problem> {
        self.registry.render(name, data).map_err(|e| {
            let span = match (self.source(name), e.line_no, e.column_no) {
                (Some(source), Some(line), Some(column)) => {
                    Some(source.span_lines(line - 1, column - 1, line - 1, column))
                }
                _ => None,
            };
            Problem::at(format!("template {name}: {}", e.reason()), span)
        })
    }
}

/// Every `*.yaml.hbs` in the override directory must name a known template.
fn check_override_names(dir: &Path, problems: &mut Problems) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem::new(format!("cannot read template directory {}: {e}", dir.display())));
            return;
        }
    };
    let known: Vec<&str> = outputs::templates().map(|(name, _)| name).collect();
    let mut names: Vec<String> =
        entries.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect();
    names.sort();
    for file in names {
        let Some(name) = file.strip_suffix(EXTENSION) else {
            continue;
        };
        if !known.contains(&name) {
            let path = dir.join(&file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let at = SourceFile::new(path.display().to_string(), text).span(0, 0);
            let problem =
                Problem::at(format!("no template is called {name:?}, so this file would be ignored"), Some(at));
            problems.push(match closest(name, &known) {
                Some(suggestion) => problem.with_help(format!("did you mean {suggestion}{EXTENSION}?")),
                None => problem.with_help(format!("known templates: {}", known.join(", "))),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_override_gets_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("servce.yaml.hbs"), "").unwrap();
        let error = Templates::with_overrides(dir.path()).unwrap_err().to_string();
        assert!(error.contains("did you mean service.yaml.hbs?"), "{error}");
    }
}
