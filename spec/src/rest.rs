//! [`HttpRule`]: one REST binding of a method (the standard `google.api.http` annotation), as
//! the runtime routes and transcodes it; the generator resolves and checks each from the proto.

resolved! {
    /// One binding of a method to an HTTP method and path template (`google.api.http`, or one
    /// of its `additional_bindings`): the server answers such requests with JSON by calling the
    /// method. `PathTemplate::parse` reads `template`.
    pub struct HttpRule<S = &'static str> {
        /// The method called: `/pkg.Service/Method`.
        pub method: S,
        /// The HTTP method: `GET`, `PUT`, `POST`, `DELETE`, `PATCH`, or a `custom` kind.
        pub verb: S,
        /// The path template as written (`/v1/{name=shelves/*}:merge`).
        pub template: S,
        /// Where the request message comes from beside the path: `""` the query string,
        /// `"*"` the whole JSON body, or the name of the request field that the body holds
        /// (the query string then sets the other fields).
        pub body: S,
        /// The response field whose value is the answer's body; `""`: the whole response.
        pub response_body: S,
    }
}
