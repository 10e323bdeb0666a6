//! Product photos through real HTTP, on both backends: staff upload a PNG
//! (made here with the `image` crate) with `PUT /api/admin/productos/{id}/imagen`
//! or the multipart form, and the card and the product page show a
//! re-encoded JPEG at `/img/{hash}.jpg`, cached as immutable; a new upload
//! replaces it. What is not an image, a decompression bomb, more than 5 MB,
//! a customer, an anonymous visitor or a call without `X-CSRF-Token` is
//! refused and changes nothing.

use image::{ImageEncoder, Rgb, RgbImage};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("fotos@tienda.com.ar", "clave-de-las-fotos");

async fn start(db: &TestDb) -> TestApp {
    // Tickets is never reached in these tests: a closed port.
    TestApp::start(settings(db, "http://127.0.0.1:9", &[("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1)])).await
}

/// A PNG of `w` × `h` pixels: a gradient tinted by `tint`.
fn png(w: u32, h: u32, tint: u8) -> Vec<u8> {
    let picture = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, tint]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(picture.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A PNG chunk with its CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

/// A decompression bomb: a tiny, well-formed PNG whose header claims
/// 100000 × 100000 pixels (30 GB decoded).
fn bomb() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
    png.extend(chunk(b"IDAT", &z.finish().unwrap()));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// `PUT /api/admin/productos/{id}/imagen` with the browser's cookies.
async fn put_imagen(
    b: &Browser,
    id: i64,
    content_type: &str,
    body: Vec<u8>,
    csrf: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .put(format!("{}/api/admin/productos/{id}/imagen", b.address))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(cookie) = &b.cookie {
        request = request.header("Cookie", cookie);
    }
    if let Some(csrf) = csrf {
        request = request.header("X-CSRF-Token", csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

struct Served {
    status: StatusCode,
    content_type: String,
    cache_control: String,
    etag: String,
    /// Whether the answer set a cookie (a shared cache would hand it out).
    sets_cookie: bool,
    bytes: Vec<u8>,
}

async fn fetch(address: &str, path: &str) -> Served {
    let response = reqwest::get(format!("{address}{path}")).await.unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (content_type, cache_control, etag) = (header("content-type"), header("cache-control"), header("etag"));
    let (status, sets_cookie) = (response.status(), response.headers().contains_key("set-cookie"));
    Served { status, content_type, cache_control, etag, sets_cookie, bytes: response.bytes().await.unwrap().to_vec() }
}

/// The `/img/...` address in a page, if any.
fn img_urls(html: &str) -> Vec<String> {
    html.match_indices("src=\"/img/").map(|(i, _)| html[i + 5..].split('"').next().unwrap().to_owned()).collect()
}

async fn an_uploaded_photo_shows_on_cards_and_pages_and_a_new_one_replaces_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;
    let producto = b.get("/producto/2").await.body;
    assert!(producto.contains("src=\"/static/ilustraciones/aceite.svg\""), "an illustration before any photo");
    assert!(img_urls(&producto).is_empty());
    let illustration = fetch(&app.address, "/static/ilustraciones/aceite.svg").await;
    assert_eq!((illustration.status, illustration.content_type.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(!illustration.sets_cookie, "a public answer carries no visitor cookie");

    let upload = png(1200, 800, 40);
    let (status, answer) = put_imagen(&b, 2, "image/png", upload.clone(), Some(&csrf)).await;
    assert_eq!(status, 200, "{answer}");
    let pagina = answer["imagen_url"].as_str().unwrap().to_owned();
    let tarjeta = answer["imagen_tarjeta_url"].as_str().unwrap().to_owned();
    assert!(pagina.starts_with("/img/") && pagina.ends_with(".jpg") && tarjeta != pagina, "{answer}");

    // The product page shows the large version, every card the small one.
    let producto = b.get("/producto/2").await.body;
    assert_eq!(img_urls(&producto), vec![pagina.clone()]);
    // (Its related products, below, keep theirs.)
    let own = producto.split("class=\"relacionados\"").next().unwrap();
    assert!(!own.contains("ilustraciones/aceite.svg"), "the photo replaces the illustration");
    for listing in ["/", "/categoria/condimentos", "/negocio/belgrano_ahorro", "/?busqueda=aceite"] {
        let page = b.get(listing).await.body;
        assert!(img_urls(&page).contains(&tarjeta), "{listing} shows the card photo");
    }
    let (status, json) = {
        let response = reqwest::Client::new()
            .get(format!("{}/api/admin/productos/2", app.address))
            .header("Cookie", b.cookie.clone().unwrap())
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(json["producto"]["imagen_url"], pagina.as_str(), "the admin JSON names the photo");

    // Served re-encoded (not the uploaded bytes), sized, immutable.
    for (path, size) in [(&pagina, (1000, 667)), (&tarjeta, (400, 267))] {
        let served = fetch(&app.address, path).await;
        assert_eq!(served.status, 200);
        assert_eq!(served.content_type, "image/jpeg");
        assert_eq!(served.cache_control, "public, max-age=31536000, immutable");
        assert!(!served.sets_cookie, "a photo any cache may keep carries no visitor cookie");
        assert_ne!(served.bytes, upload, "never the uploaded bytes");
        assert_eq!(image::guess_format(&served.bytes).unwrap(), image::ImageFormat::Jpeg);
        let decoded = image::load_from_memory(&served.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), size, "{path}");
        let again = reqwest::Client::new()
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", &served.etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "a revalidation needs no body");
    }
    let missing = fetch(&app.address, "/img/0123456789abcdef0123456789abcdef.jpg").await;
    assert_eq!(missing.status, 404);
    assert_eq!(fetch(&app.address, "/img/..%2Fcatalogo.json").await.status, 404);

    // A new upload replaces the photo; the old files are gone.
    let (status, second) = put_imagen(&b, 2, "image/png", png(600, 900, 200), Some(&csrf)).await;
    assert_eq!(status, 200, "{second}");
    let nueva = second["imagen_url"].as_str().unwrap().to_owned();
    assert_ne!(nueva, pagina);
    assert_eq!(img_urls(&b.get("/producto/2").await.body), vec![nueva.clone()]);
    let small = fetch(&app.address, &nueva).await;
    let decoded = image::load_from_memory(&small.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (600, 900), "never enlarged");
    assert_eq!(fetch(&app.address, &pagina).await.status, 404, "the replaced file is deleted");
    assert_eq!(fetch(&app.address, &tarjeta).await.status, 404);
    // Other products keep their illustrations.
    assert!(b.get("/producto/1").await.body.contains("/static/ilustraciones/arroz.svg"));
    app.stop().await;
}
on_both_backends!(an_uploaded_photo_shows_on_cards_and_pages_and_a_new_one_replaces_it);

async fn bad_files_and_wrong_callers_are_refused_and_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;

    let not_an_image = put_imagen(&b, 2, "image/png", b"hola, esto no es una foto".to_vec(), Some(&csrf)).await;
    let bomb = put_imagen(&b, 2, "image/png", bomb(), Some(&csrf)).await;
    let mut huge = png(10, 10, 1);
    huge.resize(5 * 1024 * 1024 + 1, 0);
    let too_big = put_imagen(&b, 2, "image/png", huge, Some(&csrf)).await;
    let mut cut = png(300, 300, 9);
    cut.truncate(cut.len() / 2);
    let broken = put_imagen(&b, 2, "image/png", cut, Some(&csrf)).await;
    let empty = put_imagen(&b, 2, "image/png", Vec::new(), Some(&csrf)).await;
    for ((status, body), words) in [
        (&not_an_image, "no es una imagen"),
        (&bomb, "píxeles"),
        (&too_big, "5 MB"),
        (&broken, "dañada"),
        (&empty, "ningún archivo"),
    ] {
        assert_eq!(*status, 400, "{body}");
        assert_eq!(body["campo"], "imagen", "{body}");
        assert!(body["error"].as_str().unwrap().contains(words), "{body}");
    }
    let (status, body) = put_imagen(&b, 2, "text/plain", png(10, 10, 1), Some(&csrf)).await;
    assert_eq!((status.as_u16(), &body["campo"]), (400, &Value::from("Content-Type")), "{body}");
    let (status, _) = put_imagen(&b, 99999, "image/png", png(10, 10, 1), Some(&csrf)).await;
    assert_eq!(status, 404);

    // Without the header, with another token, as a customer, anonymously.
    let (status, body) = put_imagen(&b, 2, "image/png", png(10, 10, 1), None).await;
    assert_eq!((status.as_u16(), &body["campo"]), (403, &Value::from("X-CSRF-Token")), "{body}");
    let (status, _) = put_imagen(&b, 2, "image/png", png(10, 10, 1), Some(&"0".repeat(64))).await;
    assert_eq!(status, 403);
    let mut cliente = app.browser();
    assert_eq!(cliente.register("cliente.fotos@example.com", &[]).await.status, 303);
    let cliente_csrf = cliente.get("/carrito").await.csrf();
    let (status, _) = put_imagen(&cliente, 2, "image/png", png(10, 10, 1), Some(&cliente_csrf)).await;
    assert_eq!(status, 403, "a customer may not");
    assert_eq!(cliente.get("/admin/productos/2/imagen").await.status, 403);
    let anonymous = app.browser();
    let (status, _) = put_imagen(&anonymous, 2, "image/png", png(10, 10, 1), None).await;
    assert_eq!(status, 401);

    // Nothing changed: still the illustration, no file stored.
    let producto = b.get("/producto/2").await.body;
    assert!(producto.contains("/static/ilustraciones/aceite.svg") && img_urls(&producto).is_empty());
    app.stop().await;
}
on_both_backends!(bad_files_and_wrong_callers_are_refused_and_change_nothing);

/// A `multipart/form-data` body: (name, filename, content type, bytes).
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----belgrano-prueba-7d1f";
    let mut body = Vec::new();
    for (name, filename, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(filename) = filename {
            body.extend_from_slice(format!("; filename=\"{filename}\"\r\nContent-Type: {content_type}").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_form(b: &Browser, id: i64, parts: &[(&str, Option<&str>, &str, &[u8])]) -> (StatusCode, String, String) {
    let (content_type, body) = multipart(parts);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client
        .post(format!("{}/admin/productos/{id}/imagen", b.address))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(cookie) = &b.cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn the_photo_page_uploads_with_a_multipart_form(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = start(&db).await;
    let (mut b, csrf) = staff_login(&app, ADMIN).await;
    let page = b.get("/admin/productos/13/imagen").await;
    assert_eq!(page.status, 200);
    for part in ["enctype=\"multipart/form-data\"", "name=\"imagen\"", "Yerba Mate 1kg", "ilustraciones/mate.svg"] {
        assert!(page.body.contains(part), "the page lacks {part}");
    }

    let photo = png(800, 800, 120);
    let (status, _, body) = post_form(&b, 13, &[("imagen", Some("yerba.png"), "image/png", &photo)]).await;
    assert_eq!(status, 403, "no CSRF field: refused before anything is read into the product ({body})");
    let (status, _, body) =
        post_form(&b, 13, &[("csrf", None, "", csrf.as_bytes()), ("imagen", Some("x.png"), "image/png", b"nada")])
            .await;
    assert_eq!(status, 400);
    assert!(body.contains("La foto: no es una imagen JPEG, PNG o WebP.") && body.contains("aria-invalid=\"true\""));
    let huge = vec![7u8; 5 * 1024 * 1024 + 1];
    let (status, _, body) =
        post_form(&b, 13, &[("csrf", None, "", csrf.as_bytes()), ("imagen", Some("x.png"), "image/png", &huge)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("La foto: el archivo supera el máximo de 5 MB."), "{body}");
    assert!(img_urls(&b.get("/producto/13").await.body).is_empty(), "nothing changed");

    let (status, location, _) =
        post_form(&b, 13, &[("csrf", None, "", csrf.as_bytes()), ("imagen", Some("yerba.png"), "image/png", &photo)])
            .await;
    assert_eq!((status.as_u16(), location.as_str()), (303, "/admin/productos/13/imagen?guardada=1"));
    let saved = b.get(&location).await.body;
    assert!(saved.contains("Foto guardada") && saved.contains("Reemplazar la foto"));
    let shown = img_urls(&b.get("/producto/13").await.body);
    assert_eq!(shown.len(), 1);
    assert_eq!(fetch(&app.address, &shown[0]).await.content_type, "image/jpeg");

    // Anonymous visitors are sent to the login.
    let mut anonymous = app.browser();
    let page = anonymous.get("/admin/productos/13/imagen").await;
    assert_eq!(page.status, 303);
    assert!(page.location.unwrap().starts_with("/login?next="));
    app.stop().await;
}
on_both_backends!(the_photo_page_uploads_with_a_multipart_form);
