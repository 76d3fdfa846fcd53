//! Admins: add accounts (with a first password shown once), change roles, disable and enable.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use storybank_archive::random_token;
use storybank_domain::{Password, Role, Roles, UserName};

use super::{Done, chrome, see_other};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;
use crate::views::{Choice, UserRow, UsersPage};

fn role_choices(selected: &[&str]) -> Vec<Choice> {
    Choice::list(Role::ALL.iter().map(|role| (role.as_str(), role.as_str())), selected)
}

async fn users_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &LoggedIn,
    status: StatusCode,
    done: Option<&str>,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let accounts = state.accounts.clone();
    let users = web::block(move || accounts.users()).await??;
    let page = UsersPage {
        page: chrome(state, &user.0, "Users", req, done),
        csrf: user.0.csrf.clone(),
        users: users
            .into_iter()
            .map(|account| {
                let held: Vec<&str> = account.roles.iter().map(Role::as_str).collect();
                UserRow {
                    name: account.name.to_string(),
                    roles: role_choices(&held),
                    disabled: account.disabled,
                }
            })
            .collect(),
        roles: role_choices(&[]),
        created,
        error,
    };
    crate::views::page(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    user.require(Role::Admin)?;
    users_page(&req, &state, &user, StatusCode::OK, done.done.as_deref(), None, None).await
}

/// The form's fields, with repeated `roles`.
fn fields(body: &[u8]) -> Result<Vec<(String, String)>, PageError> {
    if body.len() > crate::forms::FORM_LIMIT {
        return Err(PageError::BadRequest("the form is too large".into()));
    }
    serde_urlencoded::from_bytes(body)
        .map_err(|err| PageError::BadRequest(format!("the form could not be read: {err}")))
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
}

fn roles_of(fields: &[(String, String)]) -> Result<Roles, String> {
    let roles = fields.iter().filter(|(key, _)| key == "roles").map(|(_, value)| Role::parse(value));
    Roles::new(roles.collect::<Result<Vec<_>, _>>().map_err(|err| err.to_string())?)
        .map_err(|err| err.to_string())
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields = fields(&body)?;
    user.check_csrf(value(&fields, "csrf"))?;
    user.require(Role::Admin)?;
    let refused = |message: String| {
        users_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, None, None, Some(message))
    };
    let name = match UserName::parse(value(&fields, "username")) {
        Ok(name) => name,
        Err(err) => return refused(err.to_string()).await,
    };
    let roles = match roles_of(&fields) {
        Ok(roles) => roles,
        Err(message) => return refused(message).await,
    };
    let password_text: String = random_token()?.chars().take(20).collect();
    let password = Password::parse(&password_text).map_err(PageError::internal)?;
    let accounts = state.accounts.acting_as(&user.0.user);
    let new_name = name.clone();
    match web::block(move || accounts.add_user(new_name, roles, &password)).await?.map_err(PageError::from) {
        Ok(_) => {
            tracing::info!(admin = %user.0.user.name, user = %name, "account created");
            users_page(
                &req,
                &state,
                &user,
                StatusCode::OK,
                None,
                Some((name.to_string(), password_text)),
                None,
            )
            .await
        }
        Err(PageError::Conflict(message)) => refused(message).await,
        Err(other) => Err(other),
    }
}

pub async fn roles(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields = fields(&body)?;
    user.check_csrf(value(&fields, "csrf"))?;
    user.require(Role::Admin)?;
    let name = UserName::parse(&name).map_err(|_| PageError::NotFound)?;
    let roles = match roles_of(&fields) {
        Ok(roles) => roles,
        Err(message) => {
            return users_page(
                &req,
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                None,
                Some(message),
            )
            .await;
        }
    };
    if name == user.0.user.name && !roles.has(Role::Admin) {
        let message = "You cannot remove your own admin role; ask another admin.".to_owned();
        return users_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, None, None, Some(message))
            .await;
    }
    let accounts = state.accounts.acting_as(&user.0.user);
    web::block(move || accounts.set_roles(&name, roles)).await??;
    Ok(see_other("/admin/users?done=roles"))
}

async fn set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    name: String,
    body: web::Bytes,
    disabled: bool,
) -> Result<HttpResponse, PageError> {
    let fields = fields(&body)?;
    user.check_csrf(value(&fields, "csrf"))?;
    user.require(Role::Admin)?;
    let name = UserName::parse(&name).map_err(|_| PageError::NotFound)?;
    if disabled && name == user.0.user.name {
        let message = "You cannot disable your own account.".to_owned();
        return users_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, None, None, Some(message))
            .await;
    }
    let accounts = state.accounts.acting_as(&user.0.user);
    web::block(move || accounts.set_disabled(&name, disabled)).await??;
    Ok(see_other(if disabled { "/admin/users?done=disabled" } else { "/admin/users?done=enabled" }))
}

pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    set_disabled(req, state, user, name.into_inner(), body, true).await
}

pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: LoggedIn,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    set_disabled(req, state, user, name.into_inner(), body, false).await
}
