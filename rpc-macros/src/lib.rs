//! `#[kuberpc::rpc_service(...)]`: a thin shim. It finds the path under which the user's
//! crate knows `kuberpc` (renamed or not) and hands the tokens to
//! `kuberpc_codegen::expand`, where the parsing, checking and code generation live.

use proc_macro::TokenStream;
use proc_macro_crate::{crate_name, FoundCrate};
use quote::{format_ident, quote};

/// Turns an annotated Rust trait into a gRPC service: the trait (made `Send` for tonic), a
/// `<Trait>Server`, a `<Trait>Client` and a `<trait>_deploy` module. The options are those
/// of `kuberpc/v1/options.proto`, written as attribute arguments; `package` names the
/// protobuf package.
///
/// ```
/// use kuberpc::{ResponseStream, Status, Streaming};
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// pub struct Ping { #[prost(string, tag = "1")] pub text: String }
///
/// #[kuberpc::rpc_service(package = "echo.v1", port = 7000, autoscale(min = 2, max = 4))]
/// pub trait Echo {
///     #[rpc(timeout_ms = 250, idempotent)]
///     async fn echo(&self, request: Ping) -> Result<Ping, Status>;
///     async fn stream(&self, request: Streaming<Ping>) -> Result<ResponseStream<Ping>, Status>;
/// }
///
/// assert_eq!(echo_deploy::SERVICE, "echo.v1.Echo");
/// assert_eq!(echo_deploy::DEPLOY.method("/echo.v1.Echo/Echo").unwrap().timeout_ms, Some(250));
/// fn serve<T: Echo>(handler: T) -> EchoServer<T> { EchoServer::new(handler) }
/// ```
#[proc_macro_attribute]
pub fn rpc_service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let krate = match crate_name("kuberpc") {
        Ok(FoundCrate::Name(name)) => {
            let name = format_ident!("{name}");
            quote!(::#name)
        }
        // Inside kuberpc itself, or when Cargo.toml cannot be read: the usual name.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::kuberpc),
    };
    kuberpc_codegen::expand(attr.into(), item.into(), &krate).into()
}
