"""``ilner export``: write an ONNX (and int8) copy of a model for fast CPU tagging."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ilner.cli._app import app, console


@app.command("export")
def export(
    model: Annotated[Path, typer.Argument(help="Model directory (from `ilner train`).", exists=True, file_okay=False,
                                          show_default=False)],
    onnx: Annotated[bool, typer.Option("--onnx", help="Export to ONNX (MODEL/onnx/model.onnx).")] = False,
    int8: Annotated[bool, typer.Option("--int8", help="Also write a dynamically quantised int8 model.")] = False,
) -> None:
    """Export a model for ONNX Runtime; tag with it through `ilner predict MODEL --backend onnx`.

    Example: ilner export runs/cpu-joint --onnx --int8
    """
    from ilner.data.files import check_writable
    from ilner.inference.onnx import export_onnx

    if not onnx:
        raise typer.BadParameter("say what to export: --onnx (with --int8 for the quantised copy too)")
    check_writable(model, folder=True)  # the export goes into MODEL/onnx
    for path in export_onnx(model, int8=int8):
        console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
