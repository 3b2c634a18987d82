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
