"""The `finadvisor` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from finadvisor import __version__

SERVICES = ["gateway", "state", "generator", "vision", "voice", "console"]


def _cmd_up(args: argparse.Namespace) -> int:
    from finadvisor.up import up

    return up(train_missing=not args.no_train, health_timeout_s=args.health_timeout,
              insecure=args.insecure)


def _cmd_serve(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"finadvisor.services.{args.service}.__main__")
    return module.main()


def _dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    from finadvisor.shared import paths

    return (Path(args.models_dir) if args.models_dir else paths.models_dir(),
            Path(args.data_dir) if args.data_dir else paths.data_dir())


def _cmd_train(args: argparse.Namespace) -> int:
    from finadvisor.training import available_components, train_components

    models_dir, data_dir = _dirs(args)
    names = args.component or available_components()
    results = train_components(names, models_dir, data_dir, seed=args.seed)
    print(json.dumps(results, indent=2, default=str))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from finadvisor.training import available_components, evaluate_components

    models_dir, data_dir = _dirs(args)
    names = args.component or available_components()
    results = evaluate_components(names, models_dir, data_dir)
    if args.json:
        print(json.dumps(results, default=float))
    else:
        for section, figures in results.items():
            print(section)
            for k, v in figures.items():
                print(f"  {k:<24} {v}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from finadvisor.bench.runner import main

    return main(args.target, args.ca, args.api_key_file, args.json, args.quick)


def build_parser() -> argparse.ArgumentParser:
    from finadvisor.training import COMPONENTS

    parser = argparse.ArgumentParser(
        prog="finadvisor",
        description="Multimodal financial advisory dialogue system (gRPC microservices).",
    )
    parser.add_argument("--version", action="version", version=f"finadvisor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="run the whole stack on this machine")
    p.add_argument("--no-train", action="store_true", help="fail instead of training "
                   "missing default models")
    p.add_argument("--insecure", action="store_true", help="plain text and no client "
                   "credentials (local development only; default: TLS + API keys)")
    p.add_argument("--health-timeout", type=float, default=180.0,
                   help="seconds to wait for every service to be SERVING")
    p.set_defaults(func=_cmd_up)

    p = sub.add_parser("serve", help="run one service in the foreground")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=_cmd_serve)

    for name, func, helptext in (("train", _cmd_train, "train the models (seeded)"),
                                 ("eval", _cmd_eval, "evaluate every model on held-out data")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--component", action="append", choices=list(COMPONENTS),
                       help="only this component (repeatable)")
        p.add_argument("--models-dir", help="model folders (default: FINADVISOR_MODELS_DIR "
                       "or the bundled models)")
        p.add_argument("--data-dir", help="generated data (default: FINADVISOR_DATA_DIR)")
        if name == "train":
            p.add_argument("--seed", type=int, default=0)
        else:
            p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(func=func)
    p = sub.add_parser("bench", help="performance figures, side by side, as ratios")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--quick", action="store_true", help="fewer turns and levels (smoke run)")
    p.add_argument("--target", help="an already running gateway host:port")
    p.add_argument("--ca", help="CA certificate of --target")
    p.add_argument("--api-key-file", help="backend API key for --target")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
