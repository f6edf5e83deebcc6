//! The library's shelves and books, in memory: what each RPC does, without the RPC around it.

use std::collections::BTreeMap;

use prost_types::FieldMask;
use tonic::Status;

use crate::names;
use crate::pb::google::example::library::v1::{Book, Shelf};

/// Every shelf, by id (ids are never reused).
#[derive(Debug, Default)]
pub(crate) struct State {
    shelves: BTreeMap<u64, Entry>,
    last_shelf: u64,
}

/// A shelf and its books, by id (ids are never reused on a shelf).
#[derive(Debug)]
struct Entry {
    shelf: Shelf,
    books: BTreeMap<u64, Book>,
    last_book: u64,
}

impl State {
    /// Adds `shelf` under a new name (the name it came with is ignored).
    pub(crate) fn create_shelf(&mut self, mut shelf: Shelf) -> Shelf {
        self.last_shelf += 1;
        shelf.name = names::shelf(self.last_shelf);
        let entry = Entry { shelf: shelf.clone(), books: BTreeMap::new(), last_book: 0 };
        self.shelves.insert(self.last_shelf, entry);
        shelf
    }

    pub(crate) fn shelf(&self, name: &str) -> Result<Shelf, Status> {
        Ok(self.entry(names::parse_shelf(name)?)?.shelf.clone())
    }

    pub(crate) fn list_shelves(&self, size: i32, token: &str) -> Result<(Vec<Shelf>, String), Status> {
        let shelves: BTreeMap<u64, Shelf> = self.shelves.iter().map(|(id, e)| (*id, e.shelf.clone())).collect();
        names::page(&shelves, size, token)
    }

    /// Removes the shelf `name` and its books.
    pub(crate) fn delete_shelf(&mut self, name: &str) -> Result<(), Status> {
        let id = names::parse_shelf(name)?;
        self.shelves.remove(&id).map(drop).ok_or_else(|| shelf_not_found(id))
    }

    /// Moves every book of `other` to `name` (under new ids) and removes `other`; a no-op when
    /// they are the same shelf.
    pub(crate) fn merge_shelves(&mut self, name: &str, other: &str) -> Result<Shelf, Status> {
        let (into, from) = (names::parse_shelf(name)?, names::parse_shelf(other)?);
        self.entry(into)?;
        if into != from {
            let gone = self.shelves.remove(&from).ok_or_else(|| shelf_not_found(from))?;
            let entry = self.entry_mut(into)?;
            for book in gone.books.into_values() {
                entry.add_book(into, book);
            }
        }
        Ok(self.entry(into)?.shelf.clone())
    }

    /// Adds `book` to the shelf `parent` under a new name.
    pub(crate) fn create_book(&mut self, parent: &str, book: Book) -> Result<Book, Status> {
        let id = names::parse_shelf(parent)?;
        Ok(self.entry_mut(id)?.add_book(id, book))
    }

    pub(crate) fn book(&self, name: &str) -> Result<Book, Status> {
        let (shelf, book) = names::parse_book(name)?;
        self.entry(shelf)?.books.get(&book).cloned().ok_or_else(|| book_not_found(name))
    }

    pub(crate) fn list_books(&self, parent: &str, size: i32, token: &str) -> Result<(Vec<Book>, String), Status> {
        names::page(&self.entry(names::parse_shelf(parent)?)?.books, size, token)
    }

    pub(crate) fn delete_book(&mut self, name: &str) -> Result<Book, Status> {
        let (shelf, book) = names::parse_book(name)?;
        self.entry_mut(shelf)?.books.remove(&book).ok_or_else(|| book_not_found(name))
    }

    /// Sets the fields of the book `update.name` that `mask` names (no mask, or no paths: all
    /// of them; `*`: all of them) to their values in `update`.
    pub(crate) fn update_book(&mut self, update: Book, mask: Option<FieldMask>) -> Result<Book, Status> {
        let (shelf, id) = names::parse_book(&update.name)?;
        let paths = mask.map(|mask| mask.paths).filter(|paths| !paths.is_empty());
        let paths = paths.unwrap_or_else(|| vec!["*".to_string()]);
        let book = self.entry_mut(shelf)?.books.get_mut(&id).ok_or_else(|| book_not_found(&update.name))?;
        let mut updated = book.clone();
        for path in &paths {
            match path.as_str() {
                "author" => updated.author.clone_from(&update.author),
                "title" => updated.title.clone_from(&update.title),
                "read" => updated.read = update.read,
                "*" => updated = Book { name: updated.name, ..update.clone() },
                other => {
                    return Err(Status::invalid_argument(format!(
                        "update_mask: {other:?} is not a field of Book that can be updated"
                    )))
                }
            }
        }
        *book = updated.clone();
        Ok(updated)
    }

    /// Moves the book `name` to the shelf `other` under a new name; a no-op when it is there.
    pub(crate) fn move_book(&mut self, name: &str, other: &str) -> Result<Book, Status> {
        let ((from, _), to) = (names::parse_book(name)?, names::parse_shelf(other)?);
        self.entry(to)?;
        if from == to {
            return self.book(name);
        }
        let book = self.delete_book(name)?;
        Ok(self.entry_mut(to)?.add_book(to, book))
    }

    fn entry(&self, id: u64) -> Result<&Entry, Status> {
        self.shelves.get(&id).ok_or_else(|| shelf_not_found(id))
    }

    fn entry_mut(&mut self, id: u64) -> Result<&mut Entry, Status> {
        self.shelves.get_mut(&id).ok_or_else(|| shelf_not_found(id))
    }
}

impl Entry {
    /// Adds `book` under a new name on this shelf, `shelf`.
    fn add_book(&mut self, shelf: u64, mut book: Book) -> Book {
        self.last_book += 1;
        book.name = names::book(shelf, self.last_book);
        self.books.insert(self.last_book, book.clone());
        book
    }
}

fn shelf_not_found(id: u64) -> Status {
    Status::not_found(format!("{} does not exist", names::shelf(id)))
}

fn book_not_found(name: &str) -> Status {
    Status::not_found(format!("{name} does not exist"))
}
