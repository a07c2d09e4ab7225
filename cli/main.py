import click


@click.group()
def main() -> None:
    """Agent Coordinator."""


if __name__ == "__main__":
    main()
