//! Finding a catalogue: a file (and the region list it names, beside it), or one of the
//! built-in catalogues by name. The model parses; this reads.

use std::path::Path;

use crate::model::catalogue::{BUILT_IN, Catalogue, CatalogueError};

/// Reads the catalogue file `name_or_path`, or the built-in catalogue it names.
pub fn load_catalogue(name_or_path: &str) -> Result<Catalogue, CatalogueError> {
    let path = Path::new(name_or_path);
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogueError {
            origin: path.display().to_string(),
            line: None,
            message: format!("cannot read the catalogue: {e}"),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let read = |file: &str| {
            let listed = dir.join(file);
            let shown = listed.display().to_string();
            std::fs::read_to_string(&listed)
                .map(|text| (text, shown.clone()))
                .map_err(|e| format!("{shown}: {e}"))
        };
        return Catalogue::parse_in(&text, &path.display().to_string(), &read);
    }
    Catalogue::built_in(name_or_path).unwrap_or_else(|| {
        Err(CatalogueError {
            origin: name_or_path.to_string(),
            line: None,
            message: format!(
                "no such catalogue file, and not the name of a built-in catalogue ({})",
                BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        })
    })
}
