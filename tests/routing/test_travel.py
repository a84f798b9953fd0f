"""Travel providers: great-circle default, OSRM table service, Redis-style cache."""

import pytest

from routing import travel
from routing.problem import attach_matrices
from routing.travel import CachedProvider, OSRMProvider, TravelError, matrix_provider
from tests.routing.fake_servers import fake_server, osrm_table

POINTS = [(41.88, -87.63), (41.97, -87.66), (41.78, -87.60)]


def test_default_is_great_circle_and_board_helpers_still_work(settings):
    assert isinstance(matrix_provider(), travel.GreatCircleProvider)
    assert travel.travel_minutes(POINTS[0], POINTS[1]) > 10
    assert travel.travel_minutes(None, POINTS[1]) == 0
    matrix = travel.default_provider().matrix(POINTS)
    assert matrix.seconds[0][0] == 0 and matrix.metres[0][1] > 9000


def test_osrm_table_request_and_result():
    with fake_server(osrm_table) as (host, hits):
        matrix = OSRMProvider(base_url=f"http://{host}").matrix(POINTS)
    assert matrix.seconds == [[0, 101, 201], [101, 0, 101], [201, 101, 0]]
    assert matrix.metres[0][2] == 2000
    (path,) = hits
    assert path.startswith("/table/v1/driving/-87.630000,41.880000;-87.660000,41.970000;")
    assert path.endswith("?annotations=duration,distance")


def test_cache_answers_the_second_call(settings):
    settings.OSRM_URL = "http://placeholder"
    with fake_server(osrm_table) as (host, hits):
        provider = CachedProvider(OSRMProvider(base_url=f"http://{host}"))
        first = provider.matrix(POINTS)
        second = provider.matrix(POINTS)
        assert first == second and len(hits) == 1
        provider.matrix(POINTS[:2])  # another set of locations: another request
        assert len(hits) == 2


def test_osrm_errors_are_clear():
    with (
        fake_server(lambda path, query: (400, {"code": "TooBig", "message": "Too many"})) as (
            host,
            _,
        ),
        pytest.raises(TravelError, match="answered 400: Too many"),
    ):
        OSRMProvider(base_url=f"http://{host}").matrix(POINTS)
    with pytest.raises(TravelError, match="unreachable"):
        OSRMProvider(base_url="http://127.0.0.1:9", timeout_s=1).matrix(POINTS)


def test_osrm_url_setting_selects_the_cached_engine(settings):
    settings.OSRM_URL = "http://osrm.internal:5000"
    provider = matrix_provider()
    assert isinstance(provider, CachedProvider)
    assert provider.inner.base_url == "http://osrm.internal:5000"


def test_attach_matrices_uses_location_indices():
    problem = {
        "jobs": [{"id": 1, "location": [-87.66, 41.97]}, {"id": 2, "location": [-87.63, 41.88]}],
        "vehicles": [{"id": 7, "start": [-87.63, 41.88], "end": [-87.63, 41.88]}],
    }
    with fake_server(osrm_table) as (host, _):
        result = attach_matrices(problem, OSRMProvider(base_url=f"http://{host}"))
    assert result["vehicles"][0]["start_index"] == 0 and result["jobs"][1]["location_index"] == 0
    assert result["jobs"][0]["location_index"] == 1
    assert len(result["matrices"]["car"]["durations"]) == 2
    from routing.optimizer import parse_problem

    parse_problem(result)  # the optimizer accepts it
