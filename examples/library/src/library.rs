//! `google.example.library.v1.LibraryService` over [`State`], in memory.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tonic::{Request, Response, Status};

use crate::pb::google::example::library::v1::library_service_server::LibraryService;
use crate::pb::google::example::library::v1::{
    Book, CreateBookRequest, CreateShelfRequest, DeleteBookRequest, DeleteShelfRequest, GetBookRequest,
    GetShelfRequest, ListBooksRequest, ListBooksResponse, ListShelvesRequest, ListShelvesResponse, MergeShelvesRequest,
    MoveBookRequest, Shelf, UpdateBookRequest,
};
use crate::state::State;

/// The library handler: shelves and books in memory, shared by its clones.
#[derive(Debug, Clone, Default)]
pub struct Library {
    state: Arc<Mutex<State>>,
}

impl Library {
    /// An empty library.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `what` of a request, which it must hold.
fn required<T>(what: Option<T>, name: &str) -> Result<T, Status> {
    what.ok_or_else(|| Status::invalid_argument(format!("{name} is required")))
}

#[tonic::async_trait]
impl LibraryService for Library {
    async fn create_shelf(&self, request: Request<CreateShelfRequest>) -> Result<Response<Shelf>, Status> {
        let shelf = required(request.into_inner().shelf, "shelf")?;
        Ok(Response::new(self.state().create_shelf(shelf)))
    }

    async fn get_shelf(&self, request: Request<GetShelfRequest>) -> Result<Response<Shelf>, Status> {
        self.state().shelf(&request.into_inner().name).map(Response::new)
    }

    async fn list_shelves(
        &self,
        request: Request<ListShelvesRequest>,
    ) -> Result<Response<ListShelvesResponse>, Status> {
        let request = request.into_inner();
        let (shelves, next_page_token) = self.state().list_shelves(request.page_size, &request.page_token)?;
        Ok(Response::new(ListShelvesResponse { shelves, next_page_token }))
    }

    async fn delete_shelf(&self, request: Request<DeleteShelfRequest>) -> Result<Response<()>, Status> {
        self.state().delete_shelf(&request.into_inner().name).map(Response::new)
    }

    async fn merge_shelves(&self, request: Request<MergeShelvesRequest>) -> Result<Response<Shelf>, Status> {
        let request = request.into_inner();
        self.state().merge_shelves(&request.name, &request.other_shelf).map(Response::new)
    }

    async fn create_book(&self, request: Request<CreateBookRequest>) -> Result<Response<Book>, Status> {
        let request = request.into_inner();
        let book = required(request.book, "book")?;
        self.state().create_book(&request.parent, book).map(Response::new)
    }

    async fn get_book(&self, request: Request<GetBookRequest>) -> Result<Response<Book>, Status> {
        self.state().book(&request.into_inner().name).map(Response::new)
    }

    async fn list_books(&self, request: Request<ListBooksRequest>) -> Result<Response<ListBooksResponse>, Status> {
        let request = request.into_inner();
        let (books, next_page_token) =
            self.state().list_books(&request.parent, request.page_size, &request.page_token)?;
        Ok(Response::new(ListBooksResponse { books, next_page_token }))
    }

    async fn delete_book(&self, request: Request<DeleteBookRequest>) -> Result<Response<()>, Status> {
        self.state().delete_book(&request.into_inner().name).map(|_| Response::new(()))
    }

    async fn update_book(&self, request: Request<UpdateBookRequest>) -> Result<Response<Book>, Status> {
        let request = request.into_inner();
        let book = required(request.book, "book")?;
        self.state().update_book(book, request.update_mask).map(Response::new)
    }

    async fn move_book(&self, request: Request<MoveBookRequest>) -> Result<Response<Book>, Status> {
        let request = request.into_inner();
        self.state().move_book(&request.name, &request.other_shelf_name).map(Response::new)
    }
}
