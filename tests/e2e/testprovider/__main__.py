from __future__ import annotations

from terraform_provider_tkg.framework import logs, server

from .provider import FULL_NAME, TestProvider


def main() -> None:
    from terraform_provider_tkg.framework.servicer import ProviderServicer

    logs.setup(packages=["terraform_provider_tkg", "tests.e2e.testprovider"])
    server.serve(ProviderServicer(TestProvider()), full_name=FULL_NAME)


if __name__ == "__main__":
    main()
