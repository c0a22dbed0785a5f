"""Write ``data/series.csv``: the embedded default series of the forecasting task.

An hourly "electricity load" series with a linear trend, a daily and a weekly cycle, autocorrelated noise,
and a correlated "temperature" column (its own daily cycle, a slow seasonal drift and noise; load rises
with temperature). Standard library only, so the file depends only on the seed and the row count:

    python data/generate_series.py        # same as: --out data/series.csv --seed 7 --rows 4032
"""

from __future__ import annotations

import argparse
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

DAY, WEEK = 24, 168
START = datetime(2024, 1, 1)
HEADER = ("time", "temperature", "load")


def generate_series(rows: int, seed: int) -> list[tuple[str, float, float]]:
    """(time stamp, temperature °C, load MW) per hour, rounded to 3 decimals."""
    rng = random.Random(seed)
    temp_noise = load_noise = 0.0
    out = []
    for t in range(rows):
        day_phase = 2 * math.pi * (t % DAY) / DAY
        temp_noise = 0.9 * temp_noise + rng.gauss(0.0, 0.5)
        temperature = 12 + 6 * math.sin(day_phase - 0.75 * math.pi) + 4 * math.sin(2 * math.pi * t / (DAY * 90))
        temperature += temp_noise
        load_noise = 0.8 * load_noise + rng.gauss(0.0, 1.2)
        daily = 9 * math.sin(day_phase - 0.6 * math.pi) + 3.5 * math.sin(2 * day_phase + 0.3)
        weekday = (START + timedelta(hours=t)).weekday()
        weekly = -7.0 if weekday >= 5 else 1.5 * math.sin(2 * math.pi * (t % WEEK) / WEEK)
        load = 60 + 0.004 * t + daily + weekly + 0.9 * (temperature - 12) + load_noise
        stamp = (START + timedelta(hours=t)).strftime("%Y-%m-%d %H:%M:%S")
        out.append((stamp, round(temperature, 3), round(load, 3)))
    return out


def render(series: list[tuple[str, float, float]]) -> str:
    return ",".join(HEADER) + "\n" + "".join(f"{s},{a:.3f},{b:.3f}\n" for s, a, b in series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).with_name("series.csv")))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=4032)
    args = parser.parse_args()
    series = generate_series(args.rows, args.seed)
    Path(args.out).write_text(render(series), encoding="utf-8")
    loads = [b for _, _, b in series]
    temps = [a for _, a, _ in series]
    print(f"wrote {args.out}: {len(series)} hourly rows {series[0][0]} .. {series[-1][0]}; "
          f"load {min(loads):.1f}..{max(loads):.1f} (mean {sum(loads) / len(loads):.1f}); "
          f"temperature {min(temps):.1f}..{max(temps):.1f}")


if __name__ == "__main__":
    main()
