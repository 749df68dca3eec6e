//! OIDC workload identity: a service account's trusts in external issuers (a CI
//! platform, a Kubernetes cluster) and the JWTs those issuers sign, read without I/O. The
//! host fetches the issuer's JWKS; the core decodes the token, verifies its signature
//! (feature `jwt`), and decides which trust it satisfies and why the others do not
//! ([`check::check_trust`] reports all of it).

pub mod check;
pub mod jwt;
pub mod trust;

#[cfg(feature = "jwt")]
pub use check::check_trust;
pub use check::{
    presets, read_trusts, trusts_from_value, ClaimsSummary, PresetInfo, TrustCheckReport,
};
pub use jwt::{Claims, Header, Jwt, JwtError};
pub use trust::{
    choose, glob_matches, match_trust, validate_trust, Preset, Trust, TrustMatch, TrustSpec,
    TrustValidation,
};
