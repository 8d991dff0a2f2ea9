//! The safe API used correctly: no finding.

use widget::Widget;

#[test]
fn write_sum_and_load() {
    let mut w = Widget::new("clean").expect("a widget");
    assert_eq!(w.write(&[1, 2, 3]).expect("write"), 3);
    assert_eq!(w.sum(), 6);

    let path = std::env::temp_dir().join(format!("widget-clean-{}.bin", std::process::id()));
    std::fs::write(&path, [10u8, 20]).expect("write the input file");
    w.load(&path).expect("load");
    let _ = std::fs::remove_file(&path);
    assert_eq!(w.sum(), 36);
    assert_eq!(w.name(), "clean");
}

#[test]
fn load_failure_keeps_errno() {
    let mut w = Widget::new("missing").expect("a widget");
    let err = w
        .load(std::path::Path::new("/nonexistent/widget.bin"))
        .expect_err("no such file");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}
