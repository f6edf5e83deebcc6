//! `resolved!`: declares a struct of resolved facts once, and from the same declaration its
//! [`crate::Literal`] (field names and docs are never restated).

/// A `pub struct` with documented `pub` fields (and optional type parameters with defaults),
/// deriving `Debug, Clone, Copy, PartialEq, Eq` (and `Serialize` with feature `serde`); with
/// feature `tokens`, its `Literal` writes `<krate>::Name { field: <literal>, … }` and a
/// `pub const FIELD` per scalar field, documented as the field is.
///
/// A struct whose every field is an option with a fixed default (`pub field: u32 = 5,`) is
/// declared `for "<option prefix>"`: it also gets `DEFAULT` (every field at its default) and
/// `DEFAULTS` (each option's path and its default as options.proto documents it).
macro_rules! resolved {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident for $prefix:literal {
            $( $(#[doc = $field_doc:literal])* pub $field:ident: $ty:ty = $default:literal, )+
        }
    ) => {
        resolved! {
            $(#[doc = $doc])*
            pub struct $name {
                $( $(#[doc = $field_doc])* pub $field: $ty, )+
            }
        }

        impl $name {
            /// Every field at its default.
            pub const DEFAULT: $name = $name { $( $field: $default, )+ };
            /// `(option path, default as written in options.proto)` of each field.
            pub const DEFAULTS: &'static [(&'static str, &'static str)] =
                &[$( (concat!($prefix, stringify!($field)), stringify!($default)) ),+];
        }
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident $(< $($param:ident = $default:ty),+ >)? {
            $( $(#[doc = $field_doc:literal])* pub $field:ident: $ty:ty, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize))]
        pub struct $name $(< $($param = $default),+ >)? {
            $( $(#[doc = $field_doc])* pub $field: $ty, )+
        }

        #[cfg(feature = "tokens")]
        impl $(< $($param: $crate::Literal),+ >)? $crate::Literal for $name $(< $($param),+ >)? {
            fn literal(&self, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
                let fields = [$( (stringify!($field), $crate::Literal::literal(&self.$field, krate)) ),+];
                $crate::literal::structure(krate, stringify!($name), fields)
            }

            fn constants(&self) -> proc_macro2::TokenStream {
                let mut constants = proc_macro2::TokenStream::new();
                $(
                    constants.extend($crate::literal::constant(
                        stringify!($field),
                        &[$($field_doc),*],
                        <$ty as $crate::Literal>::constant_type(),
                        || $crate::Literal::literal(&self.$field, &proc_macro2::TokenStream::new()),
                    ));
                )+
                constants
            }
        }
    };
}
