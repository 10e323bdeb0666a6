//! Product pictures: the photos staff upload and the illustrations shown
//! where there is none.
//!
//! **Photos.** [`procesar`] takes the uploaded bytes (JPEG, PNG or WebP, at
//! most [`MAX_BYTES`]), decodes them with limits on width, height and memory
//! (a small file that claims to be 100000 × 100000 pixels, a decompression
//! bomb, is refused before anything is allocated), turns them upright (the
//! camera's EXIF orientation), flattens transparency onto white and
//! re-encodes two JPEGs: a card-size one ([`TARJETA_PX`]) and a page-size one
//! ([`PAGINA_PX`]). The uploaded bytes are never served: whatever they
//! carried besides pixels (metadata, trailing data, a script disguised as a
//! picture) is gone. Each version is named by the hash of its bytes, so its
//! URL (`/img/{hash}.jpg`) can be cached forever.
//!
//! **Illustrations.** [`ilustracion`] picks one of the vendored Twemoji
//! drawings (`assets/ilustraciones/`, CC-BY 4.0) for a product from words
//! of its name, or else from its category.

use std::io::Cursor;

use belgrano_contract::FieldError;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

/// Largest accepted upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest accepted width or height, in pixels (a 24-megapixel camera's).
pub const MAX_LADO: u32 = 6000;
/// Most memory the decoder may use for the decoded picture.
pub const MAX_DECODED_BYTES: u64 = 128 * 1024 * 1024;
/// The card-size version fits in this square.
pub const TARJETA_PX: u32 = 400;
/// The page-size version fits in this square.
pub const PAGINA_PX: u32 = 1000;
/// JPEG quality of both versions.
const CALIDAD: u8 = 82;
/// The field errors name.
pub const CAMPO: &str = "imagen";
/// What the re-encoded files are.
pub const TIPO: &str = "image/jpeg";

/// The formats accepted, by the Content-Type a client declares.
pub fn tipo_admitido(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "image/jpeg" | "image/jpg" | "image/pjpeg" | "image/png" | "image/webp")
}

/// Why an upload was refused (nothing was stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagenError {
    #[error("no se recibió ningún archivo")]
    Vacia,
    #[error("el archivo supera el máximo de 5 MB")]
    DemasiadoGrande,
    #[error("no es una imagen JPEG, PNG o WebP")]
    NoEsImagen,
    #[error("la imagen mide más de 6000 × 6000 píxeles o necesita demasiada memoria")]
    DemasiadosPixeles,
    #[error("la imagen está dañada o incompleta")]
    Danada,
}

impl ImagenError {
    /// The error a form or a JSON answer shows, naming the field.
    pub fn field_error(&self) -> FieldError {
        FieldError { field: CAMPO.to_owned(), message: self.to_string() }
    }
}

/// One re-encoded version, ready to store.
#[derive(Debug, Clone)]
pub struct Version {
    /// Hex SHA-256 of `datos` (the first 32 characters: 128 bits).
    pub hash: String,
    pub datos: Vec<u8>,
    pub ancho: u32,
    pub alto: u32,
}

impl Version {
    fn encode(image: &RgbImage) -> Result<Self, ImagenError> {
        let mut datos = Vec::new();
        JpegEncoder::new_with_quality(&mut datos, CALIDAD).encode_image(image).map_err(|e| {
            tracing::warn!(error = %e, "could not re-encode an upload");
            ImagenError::Danada
        })?;
        let hash = hex::encode(&Sha256::digest(&datos)[..16]);
        Ok(Self { hash, datos, ancho: image.width(), alto: image.height() })
    }
}

/// The two versions of one upload.
#[derive(Debug, Clone)]
pub struct Procesada {
    pub tarjeta: Version,
    pub pagina: Version,
}

/// Decodes an upload (with limits), and makes its two versions. Pure and
/// CPU-bound: run it off the async threads (`spawn_blocking`).
pub fn procesar(bytes: &[u8]) -> Result<Procesada, ImagenError> {
    if bytes.is_empty() {
        return Err(ImagenError::Vacia);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ImagenError::DemasiadoGrande);
    }
    let picture = decode(bytes)?;
    let upright = flatten(picture);
    let pagina = fit(&upright, PAGINA_PX, FilterType::Triangle);
    let tarjeta = fit(&pagina, TARJETA_PX, FilterType::CatmullRom);
    Ok(Procesada { tarjeta: Version::encode(&tarjeta)?, pagina: Version::encode(&pagina)? })
}

/// The decoder's limits: width, height and memory, checked from the header
/// before the pixels are allocated.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_LADO);
    limits.max_image_height = Some(MAX_LADO);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, ImagenError> {
    // The bytes say what they are; the declared type only has to be an image one.
    let format = image::guess_format(bytes).map_err(|_| ImagenError::NoEsImagen)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(ImagenError::NoEsImagen);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let (ancho, alto) = decoder.dimensions();
    if ancho == 0 || alto == 0 || ancho > MAX_LADO || alto > MAX_LADO || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(ImagenError::DemasiadosPixeles);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    picture.apply_orientation(orientation);
    Ok(picture)
}

fn refusal(e: ImageError) -> ImagenError {
    match e {
        ImageError::Limits(_) => ImagenError::DemasiadosPixeles,
        ImageError::Unsupported(_) => ImagenError::NoEsImagen,
        _ => ImagenError::Danada,
    }
}

/// RGB over a white background (JPEG has no transparency).
fn flatten(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Scaled down to fit in `side` × `side`, keeping its shape; never enlarged.
fn fit(picture: &RgbImage, side: u32, filter: FilterType) -> RgbImage {
    let (w, h) = picture.dimensions();
    if w <= side && h <= side {
        return picture.clone();
    }
    let (nw, nh) = if w >= h {
        (side, ((u64::from(h) * u64::from(side) + u64::from(w) / 2) / u64::from(w)).max(1) as u32)
    } else {
        (((u64::from(w) * u64::from(side) + u64::from(h) / 2) / u64::from(h)).max(1) as u32, side)
    };
    image::imageops::resize(picture, nw, nh, filter)
}

/// A product's uploaded photo: the hashes of its two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foto {
    pub tarjeta: String,
    pub pagina: String,
}

impl Foto {
    pub fn tarjeta_url(&self) -> String {
        url(&self.tarjeta)
    }

    pub fn pagina_url(&self) -> String {
        url(&self.pagina)
    }
}

/// Where a stored version is served.
pub fn url(hash: &str) -> String {
    format!("/img/{hash}.jpg")
}

/// The hash in a `/img/{file}` path (`{hash}.jpg`), when it is one.
pub fn hash_of_file(file: &str) -> Option<&str> {
    let hash = file.strip_suffix(".jpg")?;
    (hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(hash)
}

/// Words of a product's name (folded: lower case, no accents) and the
/// illustration they call for, most specific first: "dulce de leche" before
/// "leche", "oliva" before "aceite", "chocolate" before "leche".
const POR_NOMBRE: &[(&str, &str)] = &[
    ("helado", "helado"),
    ("yerba", "mate"),
    ("mate cocido", "mate"),
    ("dulce de leche", "frasco"),
    ("membrillo", "frasco"),
    ("dulce de batata", "frasco"),
    ("mermelada de frutilla", "frutilla"),
    ("mermelada de durazno", "durazno"),
    ("mermelada", "frasco"),
    ("mayonesa", "frasco"),
    ("pure de tomate", "lata"),
    ("tomate perita", "lata"),
    ("en lata", "lata"),
    ("atun", "lata"),
    ("arvejas", "lata"),
    ("choclo", "choclo"),
    ("polenta", "choclo"),
    ("harina de maiz", "choclo"),
    ("oliva", "oliva"),
    ("aceite", "aceite"),
    ("vinagre", "vinagre"),
    ("chocolatada", "leche"),
    ("alfajor", "galletita"),
    ("chocolate", "chocolate"),
    ("galletita", "galletita"),
    ("papas fritas", "snack"),
    ("medialuna", "medialuna"),
    ("factura", "medialuna"),
    ("bizcochito", "medialuna"),
    ("manteca de mani", "mani"),
    ("arroz", "arroz"),
    ("fideos", "fideos"),
    ("tallarines", "fideos"),
    ("noquis", "fideos"),
    ("ravioles", "fideos"),
    ("empanada", "empanada"),
    ("tapas", "empanada"),
    ("harina", "harina"),
    ("sal ", "sal"),
    ("azucar", "azucar"),
    ("edulcorante", "azucar"),
    ("stevia", "azucar"),
    ("leche", "leche"),
    ("crema", "leche"),
    ("huevo", "huevo"),
    ("queso", "queso"),
    ("yogur", "yogur"),
    ("postre", "yogur"),
    ("manteca", "manteca"),
    ("pan ", "pan"),
    ("cafe", "cafe"),
    ("te ", "te"),
    ("manzanilla", "te"),
    ("miel", "miel"),
    ("vino", "vino"),
    ("cerveza", "vino"),
    ("agua", "agua"),
    ("soda", "agua"),
    ("naranjas", "naranja"),
    ("jugo", "jugo"),
    ("gaseosa", "gaseosa"),
    ("manzana", "manzana"),
    ("pera", "pera"),
    ("naranja", "naranja"),
    ("mandarina", "naranja"),
    ("limon", "limon"),
    ("banana", "banana"),
    ("tomate", "tomate"),
    ("cebolla", "cebolla"),
    ("papa", "papa"),
    ("batata", "batata"),
    ("zanahoria", "zanahoria"),
    ("lechuga", "verdura"),
    ("rucula", "verdura"),
    ("acelga", "verdura"),
    ("espinaca", "verdura"),
    ("ajo ", "ajo"),
    ("uva", "uva"),
    ("pasas", "uva"),
    ("frutilla", "frutilla"),
    ("durazno", "durazno"),
    ("berenjena", "berenjena"),
    ("zapallo", "verdura"),
    ("calabaza", "verdura"),
    ("kiwi", "kiwi"),
    ("anana", "anana"),
    ("morron", "morron"),
    ("pimiento", "morron"),
    ("palta", "palta"),
    ("brocoli", "brocoli"),
    ("coliflor", "brocoli"),
    ("lenteja", "legumbre"),
    ("garbanzo", "legumbre"),
    ("poroto", "legumbre"),
    ("mani", "mani"),
    ("nuez", "nuez"),
    ("nueces", "nuez"),
    ("almendra", "nuez"),
    ("coco", "coco"),
    ("palitos", "snack"),
    ("chizitos", "snack"),
    ("pochoclo", "snack"),
    ("hamburguesa", "carne"),
    ("milanesa", "carne"),
    ("oregano", "hierbas"),
    ("pimenton", "hierbas"),
    ("chimichurri", "hierbas"),
    ("detergente", "limpieza"),
    ("lavandina", "limpieza"),
    ("esponja", "limpieza"),
    ("papel higienico", "papel"),
    ("jabon", "jabon"),
    ("shampoo", "higiene"),
    ("perro", "mascota"),
    ("gato", "mascota"),
];

/// By category id, when no word of the name matched.
const POR_CATEGORIA: &[(&str, &str)] = &[
    ("granos_cereales", "harina"),
    ("lacteos", "leche"),
    ("condimentos", "sal"),
    ("bebidas", "cafe"),
    ("dulces", "chocolate"),
    ("frutas_verduras", "verdura"),
    ("panaderia", "pan"),
    ("legumbres", "legumbre"),
    ("frutos_secos", "nuez"),
    ("especias", "hierbas"),
    ("conservas", "lata"),
    ("snacks", "snack"),
    ("bebidas_energeticas", "gaseosa"),
    ("productos_organicos", "verdura"),
    ("productos_sin_gluten", "harina"),
    ("productos_veganos", "verdura"),
    ("productos_dieteticos", "verdura"),
    ("productos_infantiles", "galletita"),
    ("productos_mascotas", "mascota"),
    ("limpieza", "limpieza"),
    ("higiene", "higiene"),
    ("congelados", "helado"),
    ("productos_frescos", "empanada"),
    ("productos_importados", "canasta"),
    ("productos_regionales", "mate"),
];

/// Every illustration that ships (`assets/ilustraciones/{name}.svg`).
pub const ILUSTRACIONES: &[&str] = &[
    "aceite",
    "agua",
    "ajo",
    "anana",
    "arroz",
    "azucar",
    "banana",
    "batata",
    "berenjena",
    "brocoli",
    "cafe",
    "canasta",
    "carne",
    "cebolla",
    "chocolate",
    "choclo",
    "coco",
    "durazno",
    "empanada",
    "fideos",
    "frasco",
    "frutilla",
    "galletita",
    "gaseosa",
    "harina",
    "helado",
    "hierbas",
    "higiene",
    "huevo",
    "jabon",
    "jugo",
    "kiwi",
    "lata",
    "leche",
    "legumbre",
    "limon",
    "limpieza",
    "mani",
    "manteca",
    "manzana",
    "mascota",
    "mate",
    "medialuna",
    "miel",
    "morron",
    "naranja",
    "nuez",
    "oliva",
    "palta",
    "pan",
    "papa",
    "papel",
    "pera",
    "queso",
    "sal",
    "snack",
    "te",
    "tomate",
    "uva",
    "verdura",
    "vinagre",
    "vino",
    "yogur",
    "zanahoria",
];

/// The illustration for a product without a photo: the first entry of
/// [`POR_NOMBRE`] that starts a word of its folded name ("pera" finds
/// "Peras 1kg"; a trailing space asks for the whole word, so "te " finds "Té
/// negro" but not "tomates"), else its category's, else a basket.
pub fn ilustracion(nombre_folded: &str, categoria_id: &str) -> &'static str {
    let padded = format!(" {} ", nombre_folded.replace(|c: char| !c.is_alphanumeric(), " "));
    POR_NOMBRE
        .iter()
        .find(|(word, _)| padded.contains(&format!(" {word}")))
        .or_else(|| POR_CATEGORIA.iter().find(|(id, _)| *id == categoria_id))
        .map_or("canasta", |(_, name)| name)
}

/// Where an illustration is served (the embedded static files).
pub fn ilustracion_url(name: &str) -> String {
    format!("/static/ilustraciones/{name}.svg")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let picture = RgbaImage::from_fn(w, h, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, 128]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(picture.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    #[test]
    fn an_upload_becomes_two_fitted_jpegs_named_by_their_hash() {
        let done = procesar(&png(1600, 800)).unwrap();
        assert_eq!((done.pagina.ancho, done.pagina.alto), (1000, 500));
        assert_eq!((done.tarjeta.ancho, done.tarjeta.alto), (400, 200));
        for v in [&done.pagina, &done.tarjeta] {
            assert_eq!(image::guess_format(&v.datos).unwrap(), ImageFormat::Jpeg);
            assert_eq!(v.hash, hex::encode(&Sha256::digest(&v.datos)[..16]));
            assert_eq!(hash_of_file(&format!("{}.jpg", v.hash)), Some(v.hash.as_str()));
        }
        let small = procesar(&png(120, 300)).unwrap();
        assert_eq!((small.pagina.ancho, small.pagina.alto), (120, 300), "never enlarged");
    }

    #[test]
    fn what_is_not_a_small_enough_picture_is_refused() {
        assert_eq!(procesar(b"").unwrap_err(), ImagenError::Vacia);
        assert_eq!(procesar(b"hola, no soy una foto").unwrap_err(), ImagenError::NoEsImagen);
        assert_eq!(procesar(b"GIF89a\x01\x00\x01\x00").unwrap_err(), ImagenError::NoEsImagen);
        let mut cut = png(50, 50);
        cut.truncate(cut.len() / 2);
        assert_eq!(procesar(&cut).unwrap_err(), ImagenError::Danada);
        assert_eq!(procesar(&vec![0u8; MAX_BYTES + 1]).unwrap_err(), ImagenError::DemasiadoGrande);
        assert_eq!(procesar(&png(MAX_LADO + 1, 1)).unwrap_err(), ImagenError::DemasiadosPixeles);
        assert_eq!(ImagenError::NoEsImagen.field_error().field, "imagen");
    }

    #[test]
    fn accepted_content_types() {
        assert!(tipo_admitido("image/png") && tipo_admitido("IMAGE/JPEG; q=1") && tipo_admitido("image/webp"));
        assert!(!tipo_admitido("image/gif") && !tipo_admitido("text/html") && !tipo_admitido(""));
    }

    #[test]
    fn illustrations_follow_the_name_then_the_category() {
        assert_eq!(ilustracion("yerba mate suave 1kg", "bebidas"), "mate");
        assert_eq!(ilustracion("dulce de leche 400g", "dulces"), "frasco");
        assert_eq!(ilustracion("leche entera 1l", "lacteos"), "leche");
        assert_eq!(ilustracion("aceite de girasol 900ml", "condimentos"), "aceite");
        assert_eq!(ilustracion("aceite de oliva 500ml", "condimentos"), "oliva");
        assert_eq!(ilustracion("galletitas de agua", "dulces"), "galletita");
        assert_eq!(ilustracion("naranjas para jugo 2kg", "frutas_verduras"), "naranja");
        assert_eq!(ilustracion("jugo de naranja 1l", "bebidas_energeticas"), "jugo");
        assert_eq!(ilustracion("medialunas de manteca x6", "panaderia"), "medialuna");
        assert_eq!(ilustracion("te negro 25 saquitos", "bebidas"), "te");
        assert_eq!(ilustracion("tomates redondos", "frutas_verduras"), "tomate");
        assert_eq!(ilustracion("chocolate con leche 150g", "dulces"), "chocolate");
        assert_eq!(ilustracion("algo raro", "lacteos"), "leche");
        assert_eq!(ilustracion("algo raro", "nada"), "canasta");
        for (_, name) in POR_NOMBRE.iter().chain(POR_CATEGORIA) {
            assert!(ILUSTRACIONES.contains(name), "{name} is not shipped");
        }
    }

    #[test]
    fn the_listed_illustrations_are_exactly_the_vendored_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ilustraciones");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".svg").map(str::to_owned))
            .collect();
        files.sort();
        let mut listed: Vec<String> = ILUSTRACIONES.iter().map(|n| n.to_string()).collect();
        listed.sort();
        assert_eq!(files, listed);
        for license in ["LICENSE", "LICENSE-GRAPHICS", "README.md"] {
            assert!(std::path::Path::new(dir).join(license).exists(), "{license} is kept beside the drawings");
        }
    }

    #[test]
    fn every_demo_product_has_a_drawing_of_its_own_kind() {
        for p in crate::domain::catalogo::Seed::bundled().productos {
            let name = p.ilustracion();
            println!("{:>3} {:<40} {name}", p.id, p.nombre);
            assert_ne!(name, "canasta", "{} falls back to the basket", p.nombre);
        }
    }
}
