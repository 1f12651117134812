"""Where the repository's own files are, found once for every service and tool: the sample
configuration every file setting defaults to (deploy/sample), the published contracts and the
Helm chart. A deployment sets each file setting (CONCORD_<SERVICE>_*_PATH) instead."""

from pathlib import Path


def _repository() -> Path:
    """The folder holding deploy/sample: the checkout (make run, the tests) or the image's
    /app (the Dockerfile copies deploy/sample beside the packages, installed in place).
    Installed elsewhere, the working folder: a default file is then missing when it is
    read, named in the error, and every *_PATH setting can still say where it is."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "deploy" / "sample").is_dir():
            return folder
    return Path.cwd()


REPOSITORY = _repository()
SAMPLE = REPOSITORY / "deploy" / "sample"
CONTRACTS = REPOSITORY / "contracts"
CHART = REPOSITORY / "deploy" / "helm" / "concord"
