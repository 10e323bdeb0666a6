//! The shop's search: what people type matched against product names,
//! tolerating how Spanish is misspelt. A word matches a name's word
//! exactly (as its beginning, accents and case aside: "azu" finds
//! "Azúcar"), or approximately: by sound (b/v, s/z/c, ll/y, silent h,
//! qu/k/c: "asucar", "yerva") or within one or two typos ("galletas").
//! Exact matches rank first. With no match at all, [`sugerencia`] offers
//! the closest words the catalogue has ("¿Quisiste decir azúcar?").
//!
//! Everything works on the names it is given (the active products, read
//! per query), so a product the back office adds or renames is found at
//! once: there is no vocabulary to rebuild.

use super::catalogo::fold;

/// How well a name matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coincidencia {
    /// The name starts with what was typed ("leche" → "Leche Entera 1L").
    Inicio,
    /// Every word begins a word of the name.
    Exacta,
    /// Some word only by sound or within a typo or two.
    Aproximada,
}

/// Words too common to narrow a search ("dulce de leche": "de" adds
/// nothing), dropped unless they are all there is.
const VACIAS: [&str; 12] = ["de", "del", "la", "el", "los", "las", "en", "con", "y", "para", "al", "sin"];

/// A search, parsed once: its folded words and their sound keys.
#[derive(Debug, Clone)]
pub struct Busqueda {
    texto: String,
    palabras: Vec<Palabra>,
}

#[derive(Debug, Clone)]
struct Palabra {
    /// Folded ("azucar").
    texto: String,
    /// The sound key ("asukar").
    clave: String,
}

impl Palabra {
    fn new(texto: String) -> Self {
        let clave = clave(&texto);
        Self { texto, clave }
    }
}

impl Busqueda {
    /// None when there is nothing to look for.
    pub fn new(texto: &str) -> Option<Self> {
        let folded = fold(texto.trim());
        let mut palabras: Vec<String> = tokens(&folded).collect();
        if palabras.iter().any(|p| !VACIAS.contains(&p.as_str())) {
            palabras.retain(|p| !VACIAS.contains(&p.as_str()));
        }
        palabras.dedup();
        if palabras.is_empty() {
            return None;
        }
        Some(Self { texto: texto.trim().to_owned(), palabras: palabras.into_iter().map(Palabra::new).collect() })
    }

    pub fn texto(&self) -> &str {
        &self.texto
    }

    /// Whether `nombre` matches every word, and how well.
    pub fn coincide(&self, nombre: &str) -> Option<Coincidencia> {
        let folded = fold(nombre);
        let words: Vec<Palabra> = tokens(&folded).map(Palabra::new).collect();
        let mut nivel = Coincidencia::Exacta;
        for p in &self.palabras {
            if words.iter().any(|w| w.texto.starts_with(&p.texto)) {
                continue;
            }
            if words.iter().any(|w| aproximada(p, w)) {
                nivel = Coincidencia::Aproximada;
                continue;
            }
            return None;
        }
        let primera = &self.palabras[0].texto;
        if nivel == Coincidencia::Exacta && words.first().is_some_and(|w| w.texto.starts_with(primera.as_str())) {
            nivel = Coincidencia::Inicio;
        }
        Some(nivel)
    }

    /// When nothing matched: the search with each word replaced by the
    /// closest word of `nombres` (as written there, accents included),
    /// if every word has one close enough and the result finds
    /// something.
    pub fn sugerencia<'a>(&self, nombres: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
        let mut out = Vec::with_capacity(self.palabras.len());
        for p in &self.palabras {
            let mut best: Option<(usize, String)> = None;
            for nombre in nombres.clone() {
                let lower: String = nombre.chars().flat_map(char::to_lowercase).collect();
                for original in lower.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3) {
                    if original.chars().any(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    let w = Palabra::new(fold(original));
                    let d = distancia(&p.texto, &w.texto).min(distancia(&p.clave, &w.clave));
                    let largo = p.texto.chars().count().max(w.texto.chars().count());
                    if d == 0 || d > (largo / 3).max(1) {
                        continue;
                    }
                    if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                        best = Some((d, original.to_owned()));
                    }
                }
            }
            out.push(best?.1);
        }
        let sugerida = out.join(" ");
        let found = Busqueda::new(&sugerida)?;
        let mut nombres = nombres;
        nombres.any(|n| found.coincide(n).is_some()).then_some(sugerida)
    }
}

/// Runs of letters and runs of digits ("1,5l" → "1", "5", "l";
/// "x12" → "x", "12"), so sizes match however they are typed.
fn tokens(folded: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    for c in folded.chars() {
        if c.is_alphanumeric() {
            let d = c.is_ascii_digit();
            if !current.is_empty() && d != digits {
                out.push(std::mem::take(&mut current));
            }
            digits = d;
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter()
}

/// Whether a typed word matches a name's word by sound or near it.
fn aproximada(p: &Palabra, w: &Palabra) -> bool {
    let digits = |s: &str| s.chars().any(|c| c.is_ascii_digit());
    if digits(&p.texto) || digits(&w.texto) || w.clave.chars().count() < 3 {
        return false;
    }
    let largo = p.clave.chars().count();
    if p.clave == w.clave || (largo >= 3 && w.clave.starts_with(&p.clave)) {
        return true;
    }
    let tolerancia = match largo {
        0..=3 => return false,
        4..=6 => 1,
        _ => 2,
    };
    distancia(&p.clave, &w.clave) <= tolerancia
}

/// A folded word as it sounds in Rioplatense Spanish, so spellings that
/// sound alike compare equal: h is silent; b/v, s/z/c(e,i), ll/y, j/g(e,i)
/// and qu/k/c(a,o,u) are one sound each; doubled letters count once.
pub fn clave(folded: &str) -> String {
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(chars.len());
    let next = |i: usize| chars.get(i + 1).copied();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let soft = matches!(next(i), Some('e' | 'i'));
        let sound = match c {
            'h' => None,
            'c' if next(i) == Some('h') => Some('x'),
            'c' if soft => Some('s'),
            'c' | 'k' => Some('k'),
            'q' => {
                if next(i) == Some('u') {
                    i += 1;
                }
                Some('k')
            }
            'g' if soft => Some('j'),
            'g' if next(i) == Some('u') && matches!(chars.get(i + 2), Some('e' | 'i')) => {
                i += 1;
                Some('g')
            }
            'z' | 's' => Some('s'),
            'v' | 'w' | 'b' => Some('b'),
            'l' if next(i) == Some('l') => {
                i += 1;
                Some('y')
            }
            'x' => {
                out.push('k');
                Some('s')
            }
            other => Some(other),
        };
        if let Some(s) = sound
            && !out.ends_with(s)
        {
            out.push(s);
        }
        i += 1;
    }
    out
}

/// Edit distance (insertions, deletions, substitutions, and swapping two
/// neighbours, the commonest typo) between two words.
pub fn distancia(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busca(q: &str, nombre: &str) -> Option<Coincidencia> {
        Busqueda::new(q).unwrap().coincide(nombre)
    }

    #[test]
    fn spellings_that_sound_alike_share_a_key() {
        assert_eq!(clave("asucar"), clave("azucar"));
        assert_eq!(clave("yerva"), clave("yerba"));
        assert_eq!(clave("arros"), clave("arroz"));
        assert_eq!(clave("sanahoria"), clave("zanahoria"));
        assert_eq!(clave("manteka"), clave("manteca"));
        assert_eq!(clave("keso"), clave("queso"));
        assert_eq!(clave("gayetitas"), clave("galletitas"));
        assert_eq!(clave("jenjibre"), clave("gengibre"));
        assert_eq!(clave("chocolate"), "xokolate");
        assert_ne!(clave("pan"), clave("pen"));
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(distancia("leche", "leche"), 0);
        assert_eq!(distancia("lehce", "leche"), 1);
        assert_eq!(distancia("galletas", "galletitas"), 2);
        assert_eq!(distancia("", "sal"), 3);
        assert_eq!(distancia("kitten", "sitting"), 3);
    }

    #[test]
    fn exact_words_rank_before_sounds_and_typos() {
        assert_eq!(busca("azúcar", "Azúcar 1kg"), Some(Coincidencia::Inicio));
        assert_eq!(busca("AZUCAR RUBIA", "Azúcar Rubia 1kg"), Some(Coincidencia::Inicio));
        assert_eq!(busca("rubia", "Azúcar Rubia 1kg"), Some(Coincidencia::Exacta));
        assert_eq!(busca("asucar", "Azúcar 1kg"), Some(Coincidencia::Aproximada));
        assert_eq!(busca("yerva", "Yerba Mate 1kg"), Some(Coincidencia::Aproximada));
        assert_eq!(busca("yerva suave", "Yerba Mate Suave 500g"), Some(Coincidencia::Aproximada));
        assert_eq!(busca("galletas", "Galletitas de Agua x3"), Some(Coincidencia::Aproximada));
        assert_eq!(busca("lehce", "Leche Entera 1L"), Some(Coincidencia::Aproximada));
        assert_eq!(busca("dulce de leche", "Helado de Dulce de Leche 1kg"), Some(Coincidencia::Exacta));
        assert_eq!(busca("dulce de leche", "Dulce de Leche 400g"), Some(Coincidencia::Inicio));
        assert_eq!(busca("1kg", "Arroz 1kg"), Some(Coincidencia::Exacta));
        assert_eq!(busca("1,5 l", "Aceite de Girasol 1,5L"), Some(Coincidencia::Exacta));
    }

    #[test]
    fn short_words_and_other_products_do_not_match() {
        assert_eq!(busca("te", "Aceite 900ml"), None, "a word's beginning, not its middle");
        assert_eq!(busca("te", "Té Negro 25 saquitos"), Some(Coincidencia::Inicio));
        assert_eq!(busca("asucar", "Arroz 1kg"), None);
        assert_eq!(busca("yerva", "Yogur Bebible Vainilla 1L"), None);
        assert_eq!(busca("pan", "Papas 2kg"), None);
        assert_eq!(busca("zzzz", "Sal Fina 500g"), None);
        assert_eq!(busca("2kg", "Papas 1kg"), None, "sizes match exactly");
        assert!(Busqueda::new("  ").is_none());
        assert!(Busqueda::new("%_").is_none());
    }

    #[test]
    fn suggests_the_closest_words_only_when_they_find_something() {
        let nombres = ["Azúcar 1kg", "Detergente 750ml", "Yerba Mate 1kg", "Dulce de Leche 400g"];
        let sugerir = |q: &str| Busqueda::new(q).unwrap().sugerencia(nombres.iter().copied());
        assert_eq!(sugerir("dtrgnte").as_deref(), Some("detergente"));
        assert_eq!(sugerir("azzuucarr").as_deref(), None, "that one matches already: nothing to suggest");
        assert_eq!(sugerir("dtrgnte azucr").as_deref(), None, "no product has both");
        assert_eq!(sugerir("zzzz"), None);
        assert_eq!(sugerir("xqwv"), None);
    }
}
