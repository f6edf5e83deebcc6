//! What one run produces: every output file of every back end, each filed under the
//! [`Destination`] directory it belongs to. Back ends only add files here; one writer
//! ([`crate::writer::write`]) puts any destination on disk and one diff
//! ([`crate::writer::diff`]) checks any destination, so a new output is one back end that adds
//! its files (and, for a new directory, one new [`Destination`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::Package;
use crate::writer::{OutputFile, Ownership};

/// The directory an output file is written under (its path is relative to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    /// `<app>/base` (generated) and `<app>/overlays` (seeded once), under `Config::manifests_dir`.
    Manifests,
    /// `.proto` files emitted for `#[rpc_service]` traits, and the vocabulary they import,
    /// under `Config::proto_dir`.
    Protos,
    /// Rust stubs, the module tree and descriptor sets, under `Config::out_dir`.
    Stubs,
    /// The descriptor set at `Config::file_descriptor_set_path`, in the directory that path
    /// names (relative to `Config::out_dir`, or absolute: the user chose it).
    DescriptorSetPath,
}

impl Destination {
    /// Every destination, in the order runs report them.
    pub const ALL: [Destination; 4] =
        [Destination::Manifests, Destination::Protos, Destination::Stubs, Destination::DescriptorSetPath];
}

/// Everything one run produces, in memory.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// The checked model.
    pub packages: Vec<Package>,
    /// Every file the run read (protos, imports, user templates).
    pub inputs: Vec<PathBuf>,
    /// The compiled sources (protos, not their imports; or Rust files) as headers name them.
    pub sources: Vec<String>,
    /// The packages the sources declare, with or without services: a leftover file of one of
    /// them is this run's to remove ([`crate::writer::Cleanup`]).
    pub(crate) source_packages: Vec<String>,
    files: BTreeMap<Destination, Vec<OutputFile>>,
}

impl Generated {
    /// A run's model and sources, with no files yet.
    pub(crate) fn new(packages: Vec<Package>, sources: Vec<String>) -> Self {
        let source_packages = packages.iter().map(|p| p.name.clone()).collect();
        Self { packages, sources, source_packages, ..Self::default() }
    }

    /// The files for `destination`, paths relative to its directory.
    pub fn files(&self, destination: Destination) -> &[OutputFile] {
        self.files.get(&destination).map_or(&[], Vec::as_slice)
    }

    /// Adds files for `destination`.
    pub(crate) fn add(&mut self, destination: Destination, files: impl IntoIterator<Item = OutputFile>) {
        self.files.entry(destination).or_default().extend(files);
    }
}

/// Files of a directory that is kuberpc's alone (`OUT_DIR`): rewritten when changed.
pub(crate) fn stub_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> impl Iterator<Item = OutputFile> {
    files.into_iter().map(|(path, content)| OutputFile { path: path.into(), content, ownership: Ownership::Stub })
}

/// Generated files with kuberpc's header, in a directory the user shares (`proto/`).
pub(crate) fn generated_files(files: impl IntoIterator<Item = (String, String)>) -> impl Iterator<Item = OutputFile> {
    files.into_iter().map(|(path, text)| OutputFile {
        path: path.into(),
        content: text.into_bytes(),
        ownership: Ownership::Generated,
    })
}
