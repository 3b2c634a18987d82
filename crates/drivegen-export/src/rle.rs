//! COCO run-length encoding: column-major runs starting with background, compressed to
//! COCO's string form (pycocotools `maskApi.c`, `rleToString`).

/// Runs of a binary mask in column-major order, first run = background (may be 0).
pub fn runs(mask: &[bool], width: usize, height: usize) -> Vec<u32> {
    let mut counts = Vec::new();
    let mut current = false;
    let mut run = 0u32;
    for x in 0..width {
        for y in 0..height {
            let v = mask[y * width + x];
            if v != current {
                counts.push(run);
                run = 0;
                current = v;
            }
            run += 1;
        }
    }
    counts.push(run);
    counts
}

/// Runs of every instance of an id image at once (one pass): id -> runs as in [`runs`].
pub fn runs_by_id(
    ids: &[u16],
    width: usize,
    height: usize,
) -> std::collections::BTreeMap<u16, Vec<u32>> {
    // Column-major positions of each id, then runs from the gaps between them.
    let mut positions: std::collections::BTreeMap<u16, Vec<u32>> =
        std::collections::BTreeMap::new();
    for x in 0..width {
        for y in 0..height {
            let id = ids[y * width + x];
            if id != 0 {
                positions
                    .entry(id)
                    .or_default()
                    .push((x * height + y) as u32);
            }
        }
    }
    let total = (width * height) as u32;
    positions
        .into_iter()
        .map(|(id, pos)| {
            let mut counts = Vec::new();
            let mut cursor = 0u32;
            let mut i = 0;
            while i < pos.len() {
                let start = pos[i];
                let mut end = start + 1;
                i += 1;
                while i < pos.len() && pos[i] == end {
                    end += 1;
                    i += 1;
                }
                counts.push(start - cursor);
                counts.push(end - start);
                cursor = end;
            }
            if total > cursor {
                counts.push(total - cursor);
            }
            (id, counts)
        })
        .collect()
}

/// COCO's compressed string: deltas against the run two back, 5-bit groups, +48.
pub fn to_string(counts: &[u32]) -> String {
    let mut out = String::new();
    for (i, c) in counts.iter().enumerate() {
        let mut x = i64::from(*c);
        if i > 2 {
            x -= i64::from(counts[i - 2]);
        }
        loop {
            let mut c = (x & 0x1f) as u8;
            x >>= 5;
            let more = if c & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                c |= 0x20;
            }
            out.push(char::from(c + 48));
            if !more {
                break;
            }
        }
    }
    out
}

/// Inverse of [`to_string`] (pycocotools `rleFrString`).
pub fn from_string(s: &str) -> Vec<u32> {
    let bytes = s.as_bytes();
    let mut counts: Vec<i64> = Vec::new();
    let mut p = 0;
    while p < bytes.len() {
        let mut x: i64 = 0;
        let mut k = 0;
        loop {
            let c = i64::from(bytes[p]) - 48;
            x |= (c & 0x1f) << (5 * k);
            let more = c & 0x20 != 0;
            p += 1;
            k += 1;
            if !more {
                if c & 0x10 != 0 {
                    x |= -1i64 << (5 * k);
                }
                break;
            }
        }
        if counts.len() > 2 {
            x += counts[counts.len() - 2];
        }
        counts.push(x);
    }
    counts.into_iter().map(|c| c.max(0) as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_column_major_and_start_with_background() {
        // 2x3 image (w=3, h=2): column 0 = [1,1], column 1 = [0,1], column 2 = [0,0].
        let mask = [true, false, false, true, true, false];
        assert_eq!(runs(&mask, 3, 2), vec![0, 2, 1, 1, 2]);
    }

    #[test]
    fn one_pass_runs_equal_per_mask_runs() {
        let (w, h) = (7, 5);
        let ids: Vec<u16> = (0..w * h)
            .map(|i| [0u16, 3, 3, 9, 0, 9, 3][(i * 5 + i / 3) % 7])
            .collect();
        let all = runs_by_id(&ids, w, h);
        for id in [3u16, 9] {
            let mask: Vec<bool> = ids.iter().map(|v| *v == id).collect();
            assert_eq!(all[&id], runs(&mask, w, h), "id {id}");
        }
    }

    #[test]
    fn strings_round_trip_including_negative_deltas() {
        for counts in [
            vec![0u32, 2, 1, 1, 2],
            vec![5000, 3, 120000, 7, 1, 1],
            vec![10, 1000, 3, 999_999, 2],
        ] {
            let s = to_string(&counts);
            assert!(s.bytes().all(|b| (48..48 + 64).contains(&b)));
            assert_eq!(from_string(&s), counts);
        }
    }
}
