//! The call policy every service shares: the runtime's client applies it (`kuberpc::client`),
//! and the gRPC service config states it for clients in other languages.

/// Attempts of an idempotent call, the first included.
pub const MAX_ATTEMPTS: u32 = 4;

/// Backoff before the first retry, in milliseconds; doubled for each further one.
pub const FIRST_BACKOFF_MS: u64 = 25;

/// The longest backoff: the one before the last attempt.
pub const MAX_BACKOFF_MS: u64 = FIRST_BACKOFF_MS << (MAX_ATTEMPTS - 2);

/// Retries a quiet client may save up and spend in a burst (the retry budget's cap; gRPC's
/// `retryThrottling.maxTokens`).
pub const MAX_SAVED_RETRIES: u32 = 10;
