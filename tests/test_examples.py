"""Every script in examples/ runs to completion."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# ddp_weighted_sampler.py is run, with its checks, by test_distributed.py
EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 7


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script, tmp_path):
    # one thread per process: two examples at once on two cores would otherwise fight
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "an example should print what it shows"


def _public_objects():
    import inspect

    import wsample_sk
    from wsample_sk import callbacks, losses, modules, sampling

    for module in (wsample_sk, callbacks, losses, modules, sampling):
        for name in module.__all__:
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member) and member.__doc__:
                        yield f"{module.__name__}.{name}.{attr}", member


def test_every_public_example_imports_public_paths_only():
    private = []
    for where, obj in _public_objects():
        for line in (obj.__doc__ or "").splitlines():
            if line.strip().startswith(">>>") and "wsample_sk._" in line:
                private.append(f"{where}: {line.strip()}")
    assert not private, "\n".join(private)


def test_the_user_guide_table_rows_are_valid_parameters():
    import re
    import warnings

    import numpy as np

    from wsample_sk import WeightedSamplingClassifier
    from wsample_sk.sampling import BatchComposition, ClassQuotas, LossWeights, WeightedDraws

    text = (Path(__file__).parents[1] / "docs" / "user_guide.rst").read_text()
    table = text.split("what you want")[1].split("\n\n")[0]
    names = dict(
        WeightedDraws=WeightedDraws,
        ClassQuotas=ClassQuotas,
        BatchComposition=BatchComposition,
        LossWeights=LossWeights,
        P=2,
        K=4,
    )
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)).astype(np.float32), np.repeat(["ok", "fraud"], [100, 20])
    tried = 0
    for code in re.findall(r"``([^`]+)``", table):
        if "=" not in code or "lambda" in code or code.startswith("fit("):
            continue
        params = eval(f"dict({code})", names)  # every "what you write" that is parameters
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a row may correct twice on purpose
            WeightedSamplingClassifier(max_epochs=1, batch_size=16, **params).fit(X, y)
        tried += 1
    assert tried >= 15
