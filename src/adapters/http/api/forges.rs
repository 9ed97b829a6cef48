//! `/api/forges`: the configured forges. Anyone may list and read them, but only server admins
//! see more than `id`, `type` and `url`; only they create, change and delete forges. The OAuth
//! client secret is never returned.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::adapters::http::AppState;
use crate::adapters::http::api::ApiTags;
use crate::adapters::http::api::repos::NoContent;
use crate::adapters::http::auth::Caller;
use crate::adapters::http::dto::forge::{ForgeDto, ForgeInputDto};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::guard;
use crate::adapters::http::strict_json::StrictJson;
use crate::domain::forge::Forge;
use crate::ports::store::Page;

/// Operations on forges.
pub struct ForgesApi {
    /// Shared state.
    pub state: AppState,
}

/// The copy of a forge this caller may see.
fn shown_to(caller: &Caller, forge: &Forge) -> ForgeDto {
    if guard::admin(caller).is_ok() { ForgeDto::full(forge) } else { ForgeDto::public(forge) }
}

#[OpenApi(tag = "ApiTags::Forges")]
impl ForgesApi {
    /// One page of forges, by id.
    #[oai(path = "/forges", method = "get", operation_id = "getForges")]
    async fn list(
        &self,
        caller: Data<&Caller>,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> poem::Result<Json<Vec<ForgeDto>>> {
        let page = Page::new(page.0.unwrap_or(1), per_page.0.unwrap_or(Page::MAX_PER_PAGE));
        let forges = self.state.store.list_forges().await?;
        let shown = forges.iter().skip(page.offset() as usize).take(page.limit() as usize);
        Ok(Json(shown.map(|f| shown_to(&caller, f)).collect()))
    }

    /// Adds a forge (server admins only).
    #[oai(path = "/forges", method = "post", operation_id = "createForge")]
    async fn create(
        &self,
        caller: Data<&Caller>,
        body: StrictJson<ForgeInputDto>,
    ) -> poem::Result<Json<ForgeDto>> {
        guard::admin(&caller)?;
        let mut forge = Forge::default();
        body.0.apply(&mut forge).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let forge = self.state.store.create_forge(&forge).await?;
        Ok(Json(ForgeDto::full(&forge)))
    }

    /// A forge.
    #[oai(path = "/forges/:forge_id", method = "get", operation_id = "getForge")]
    async fn get(&self, caller: Data<&Caller>, forge_id: Path<i64>) -> poem::Result<Json<ForgeDto>> {
        let forge = self.state.store.get_forge(forge_id.0).await?;
        Ok(Json(shown_to(&caller, &forge)))
    }

    /// Replaces a forge's settings; its secret only when a new one is given (server admins only).
    #[oai(path = "/forges/:forge_id", method = "patch", operation_id = "updateForge")]
    async fn patch(
        &self,
        caller: Data<&Caller>,
        forge_id: Path<i64>,
        body: StrictJson<ForgeInputDto>,
    ) -> poem::Result<Json<ForgeDto>> {
        guard::admin(&caller)?;
        let mut forge = self.state.store.get_forge(forge_id.0).await?;
        body.0.apply(&mut forge).map_err(|e| ApiError::bad_request(e.to_string()))?;
        self.state.store.update_forge(&forge).await?;
        Ok(Json(ForgeDto::full(&forge)))
    }

    /// Deletes a forge (server admins only).
    #[oai(path = "/forges/:forge_id", method = "delete", operation_id = "deleteForge")]
    async fn delete(&self, caller: Data<&Caller>, forge_id: Path<i64>) -> poem::Result<NoContent> {
        guard::admin(&caller)?;
        self.state.store.delete_forge(forge_id.0).await?;
        Ok(NoContent::NoContent)
    }
}
