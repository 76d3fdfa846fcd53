//! Photo renditions, served only to people who may see their story, and never cached (a
//! shared computer must not keep a photo after logging out or a withdrawal).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use storybank_domain::{Role, StoryContent};

use super::{blocking, story_id};
use crate::AppState;
use crate::auth::LoggedIn;
use crate::error::PageError;

pub async fn image(
    state: web::Data<AppState>,
    user: LoggedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    user.require_any(&[Role::Curator, Role::Reporter, Role::Commissioner])?;
    let (id, rendition) = path.into_inner();
    let id = story_id(&id)?;
    let thumbnail = match rendition.as_str() {
        "display" => false,
        "thumbnail" => true,
        _ => return Err(PageError::NotFound),
    };
    let who = user.0.user.clone();
    let (bytes, mime) = blocking(&state, move |archive| {
        let view = archive.story_for(&who, id)?;
        let StoryContent::Image { display, thumbnail: small, .. } = &view.story.content else {
            return Err(storybank_archive::ArchiveError::new(
                storybank_archive::ErrorKind::NotFound,
                "not a photo story",
            ));
        };
        let media = if thumbnail { small } else { display };
        Ok((archive.media(media)?, media.mime.clone()))
    })
    .await?;
    Ok(HttpResponse::Ok().content_type(mime).insert_header((header::CACHE_CONTROL, "no-store")).body(bytes))
}
