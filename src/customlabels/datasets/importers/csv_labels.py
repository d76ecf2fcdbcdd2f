"""A CSV of image file names with one 0/1 column per label."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from customlabels.datasets.importers.lines import entry_line
from customlabels.datasets.importers.plan import (
    ImportFile,
    ImportPlan,
    Skipped,
    is_image,
    safe_relative_key,
    source_ref,
)


@dataclass(frozen=True)
class LabelRow:
    row: int
    key: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class LabelTable:
    rows: tuple[LabelRow, ...]
    problems: tuple[tuple[int, str], ...]


def plan_csv(csv_path: Path, images_dir: Path, *, bucket: str, prefix: str) -> ImportPlan:
    table = label_table(csv_path.read_text(encoding="utf-8-sig"))
    skipped = [Skipped(str(csv_path), f"row {row}: {problem}") for row, problem in table.problems]
    lines, uploads = [], []
    for row in table.rows:
        path = images_dir.joinpath(*PurePosixPath(row.key).parts)
        if not path.is_file():
            skipped.append(Skipped(str(path), f"row {row.row}: image file not found in {images_dir}"))
            continue
        lines.append(entry_line(source_ref(bucket, prefix, row.key), labels=row.labels))
        uploads.append(ImportFile(path, row.key))
    return ImportPlan(tuple(lines), tuple(uploads), tuple(skipped), bucket, prefix)


def label_table(text: str) -> LabelTable:
    """Rows of the CSV (numbered as a spreadsheet shows them, header = 1) and why others are left out."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    header = [cell.strip() for cell in next(reader, [])]
    labels = header[1:]
    if not labels or not all(labels):
        raise ValueError("the CSV header needs an image column followed by one named column per label")
    if len(set(labels)) != len(labels):
        raise ValueError(f"the CSV header repeats a label: {labels}")
    rows: list[LabelRow] = []
    problems: list[tuple[int, str]] = []
    first_row: dict[str, int] = {}
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        row = _label_row(number, [cell.strip() for cell in cells], labels)
        if isinstance(row, str):
            problems.append((number, row))
        elif row.key in first_row:
            problems.append((number, f"{row.key} is listed again (first on row {first_row[row.key]})"))
        else:
            first_row[row.key] = number
            rows.append(row)
    return LabelTable(tuple(rows), tuple(problems))


def _label_row(number: int, cells: list[str], labels: list[str]) -> LabelRow | str:
    if len(cells) != len(labels) + 1:
        return f"expected {len(labels) + 1} columns, found {len(cells)}"
    name, values = cells[0], cells[1:]
    key = safe_relative_key(name)
    if key is None:
        return f"image name {name!r} is empty or points outside the images folder"
    if not is_image(PurePosixPath(key)):
        return f"{name} is not a JPEG or PNG image"
    for label, value in zip(labels, values, strict=True):
        if value not in ("0", "1"):
            return f"column {label!r} must be 0 or 1, found {value!r}"
    return LabelRow(number, key, tuple(label for label, value in zip(labels, values, strict=True) if value == "1"))


def _delimiter(text: str) -> str:
    # Spreadsheets in many locales save CSV with ';' (or tabs) because ',' is the decimal mark.
    header = text.partition("\n")[0]
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","
