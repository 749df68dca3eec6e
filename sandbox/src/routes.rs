//! The router: each operation of the table (`operations`) with its handler, under the
//! middleware every call goes through.

use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::audit;
use crate::handlers::{
    self, admin, meta, oauth, resources, secret_scanning, service_accounts as sa, tokens,
};
use crate::operations::{operations, RouteDef};
use crate::state::AppState;

/// The handler of an operation, bound to its method; `None` for an operation id no
/// handler serves (a test holds the table to having none).
fn handler(def: &RouteDef) -> Option<MethodRouter<AppState>> {
    let method = MethodFilter::try_from(Method::from_bytes(def.method.as_bytes()).ok()?).ok()?;
    Some(match def.operation_id {
        "getOpenApi" => on(method, meta::openapi),
        "listTokens" => on(method, tokens::list),
        "createToken" => on(method, tokens::create),
        "whoami" => on(method, tokens::whoami),
        "authorizeCalls" => on(method, tokens::authorize_calls),
        "getToken" => on(method, tokens::get),
        "revokeToken" => on(method, tokens::revoke),
        "rotateToken" => on(method, tokens::rotate_handler),
        "downscopeToken" => on(method, tokens::downscope_handler),
        "listServiceAccounts" => on(method, sa::list),
        "createServiceAccount" => on(method, sa::create),
        "getServiceAccount" => on(method, sa::get),
        "updateServiceAccount" => on(method, sa::update),
        "replaceServiceAccount" => on(method, sa::update),
        "deleteServiceAccount" => on(method, sa::delete),
        "disableServiceAccount" => on(method, sa::disable),
        "enableServiceAccount" => on(method, sa::enable),
        "resetServiceAccountSecret" => on(method, sa::reset_secret),
        "listServiceAccountTokens" => on(method, sa::list_tokens),
        "createServiceAccountToken" => on(method, sa::create_token),
        "rotateServiceAccountToken" => on(method, sa::rotate_token),
        "downscopeServiceAccountToken" => on(method, sa::downscope_token),
        "revokeServiceAccountToken" => on(method, sa::revoke_token),
        "listAccessKeys" => on(method, sa::list_access_keys),
        "createAccessKey" => on(method, sa::create_access_key),
        "deleteAccessKey" => on(method, sa::delete_access_key),
        "listTrusts" => on(method, sa::list_trusts),
        "createTrust" => on(method, sa::create_trust),
        "deleteTrust" => on(method, sa::delete_trust),
        "getDevIssuerConfiguration" => on(method, admin::oidc_discovery),
        "getDevIssuerJwks" => on(method, admin::oidc_jwks),
        "mintDevIssuerToken" => on(method, admin::oidc_token),
        "rotateDevIssuerKey" => on(method, admin::oidc_rotate),
        "listOrgServiceAccounts" => on(method, sa::org_list),
        "createOrgServiceAccount" => on(method, sa::org_create),
        "deleteOrgServiceAccount" => on(method, sa::org_delete),
        "revokeMemberTokens" => on(method, tokens::revoke_member_tokens),
        "listServers" => on(method, resources::list_servers),
        "createServer" => on(method, resources::create_server),
        "getServer" => on(method, resources::get_server),
        "deleteServer" => on(method, resources::delete_server),
        "startServer" => on(method, resources::start_server),
        "stopServer" => on(method, resources::stop_server),
        "listBuckets" => on(method, resources::list_buckets),
        "createBucket" => on(method, resources::create_bucket),
        "getBucket" => on(method, resources::get_bucket),
        "deleteBucket" => on(method, resources::delete_bucket),
        "enableObjectLock" => on(method, resources::enable_object_lock),
        "disableObjectLock" => on(method, resources::disable_object_lock),
        "listAuditEvents" => on(method, handlers::audit::list),
        "exportAuditEvents" => on(method, handlers::audit::export),
        "summarizeAuditEvents" => on(method, handlers::audit::summary),
        "listAuditStreams" => on(method, handlers::streams::list),
        "createAuditStream" => on(method, handlers::streams::create),
        "getAuditStream" => on(method, handlers::streams::get),
        "deleteAuditStream" => on(method, handlers::streams::delete),
        "pauseAuditStream" => on(method, handlers::streams::pause),
        "resumeAuditStream" => on(method, handlers::streams::resume),
        "testAuditStream" => on(method, handlers::streams::test),
        "clientCredentialsToken" => on(method, oauth::token),
        "getSandboxClock" => on(method, admin::get_clock),
        "setSandboxClock" => on(method, admin::set_clock),
        "getSandboxPolicy" => on(method, admin::get_policy),
        "setSandboxPolicy" => on(method, admin::set_policy),
        "listSandboxUsers" => on(method, admin::list_users),
        "updateSandboxUser" => on(method, admin::update_user),
        "getSandboxFaults" => on(method, admin::get_faults),
        "setSandboxFaults" => on(method, admin::set_faults),
        "issueSandboxUserToken" => on(method, admin::issue_user_token),
        "reportLeakedSecrets" => on(method, secret_scanning::alerts),
        "listSecretScanningKeys" => on(method, secret_scanning::list_keys),
        "createSecretScanningKey" => on(method, secret_scanning::create_key),
        "deleteSecretScanningKey" => on(method, secret_scanning::delete_key),
        _ => return None,
    })
}

/// Every operation with its handler. Paths use `{param}` in both axum and OpenAPI
/// syntax.
pub fn table() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    operations()
        .into_iter()
        .filter_map(|def| handler(&def).map(|h| (def, h)))
        .collect()
}

async fn not_found() -> crate::error::ApiError {
    crate::error::ApiError::not_found("route")
}

pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for (def, handler) in table() {
        router = router.route(def.path, handler);
    }
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.0.faults.clone(),
            crate::faults::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::middleware,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler() {
        for def in super::operations() {
            assert!(
                super::handler(&def).is_some(),
                "{} {} ({}) has no handler",
                def.method,
                def.path,
                def.operation_id
            );
        }
    }
}
