"""The QĐ 766/QĐ-TTg index as the law and DVCQG define it (DOMAIN.md §5); pure: no database, no Flask.


**The catalogue** (`GROUPS`): the five groups and their points [P: Sở Nội vụ Nam Định], the
sub-indicators as DVCQG scores them [T], each with its maximum, its threshold and its target:

- points: at or above the threshold, the maximum; below it, rate x maximum / threshold [T];
- a threshold the sources do not give is 100 % [I] (the on-time rate, electronic results);
- the share of the period's dossiers synced to DVCQG by its end (`dossiers.dvcqg_synced_at`: the
  portal accepted a status push of it, service/dvcqg/pushes.py) is `no_data` while the `dvc`
  connector is not configured and no dossier was ever synced;
- indicators Motcua holds no data for (publication, CSDLQG, e-certified copies, data
  reuse, the personal data warehouse, the population database, PAKN, satisfaction) are `no_data`:
  never 0 nor 100; their points are null, and the total says the maximum it is out of
  (`scored_max`); an indicator whose denominator is 0 in the period has a null rate and points too;
- informational indicators (max 0): the share received online (the formula's 50 % threshold has no
  points in the dashboard's table [T]) and dossiers with more than one supplement request (DVCQG
  counts them late [T]; Motcua judges them by their clock, DOMAIN.md §2, and shows them apart).

**The rating** (`RATINGS`): "Tốt" from 80 to under 90 points [S 9.4, the seed's target]; "Xuất sắc"
from 90 [R]; "Khá" 70 to 80, "Trung bình" 50 to 70, "Yếu" under 50 [R]. While only part of the 100
points can be computed, the rating reads the points scaled to 100 (`scaled`), marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dossiers.judging import Standing

IN_TIME_STANDINGS = (Standing.EARLY, Standing.ON_TIME, Standing.OPEN_IN_TIME, Standing.PAUSED)
IN_TIME = ",".join(s.value for s in IN_TIME_STANDINGS)
LATE = ",".join(s.value for s in (Standing.LATE, Standing.OPEN_LATE))


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    max_points: float
    threshold: float | None = None  # the rate from which the maximum is given
    target: float | None = None  # the seed's target rate [S]
    numerator: str | None = None  # the count (queries' column) above, None: no data in Motcua
    denominator: str | None = None
    # The dossier list's filters (dossiers/drill.py) of the numerator and of the denominator.
    numerator_filters: tuple[tuple[str, str], ...] = ()
    denominator_filters: tuple[tuple[str, str], ...] = ()
    # A system the data comes from (DVCQG): without it, `no_data` (`sources`).
    source: str | None = None

    def has_data(self, sources: frozenset[str] = frozenset()) -> bool:
        return self.numerator is not None and (self.source is None or self.source in sources)


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    max_points: float
    indicators: tuple[Indicator, ...]


DVCQG = "dvcqg"  # the sync to the national portal (service/dvcqg/pushes.py)
_RESULTED = (("finished", "true"), ("outcome", "approved"))
_PAID = (("returned", "true"), ("fee_payment", "online,counter,post"))

GROUPS: tuple[Group, ...] = (
    Group(
        "cong_khai",
        "Công khai, minh bạch",
        18,
        (
            Indicator("tthc_published_on_time", "Công bố, công khai TTHC đúng hạn", 6),
            Indicator("csdlqg_updated", "Cập nhật CSDL quốc gia về TTHC đúng hạn (≤ 5 ngày làm việc)", 4),
            Indicator("tthc_seven_parts", "Công khai đủ 7 bộ phận của TTHC", 2),
            Indicator(
                "synced_to_dvcqg",
                "Hồ sơ đồng bộ lên Cổng DVC quốc gia",
                6,
                threshold=1.0,
                target=1.0,
                numerator="synced",
                denominator="counted",
                numerator_filters=(("dvcqg_synced", "true"),),
                source=DVCQG,
            ),
        ),
    ),
    Group(
        "tien_do",
        "Tiến độ, kết quả giải quyết",
        20,
        (
            Indicator(
                "on_time_rate",
                "Hồ sơ giải quyết đúng hạn (đã xong hoặc đang xử lý trong hạn / tiếp nhận và xử lý trong kỳ)",
                20,
                threshold=1.0,
                numerator="in_time",
                denominator="counted",
                numerator_filters=(("standing", IN_TIME),),
            ),
            Indicator(
                "multiple_supplements",
                "Hồ sơ yêu cầu bổ sung quá 01 lần (DVCQG tính là trễ hạn; không chấm điểm riêng)",
                0,
                numerator="multiple_supplements",
                denominator="counted",
                numerator_filters=(("min_supplements", "2"),),
            ),
        ),
    ),
    Group(
        "so_hoa",
        "Số hóa hồ sơ, kết quả",
        22,
        (
            Indicator(
                "e_results",
                "Kết quả giải quyết điện tử (ký số)",
                6,
                threshold=1.0,
                target=1.0,
                numerator="e_results",
                denominator="resulted",
                numerator_filters=(*_RESULTED, ("e_result", "true")),
                denominator_filters=_RESULTED,
            ),
            Indicator(
                "digitised",
                "Hồ sơ được số hóa khi tiếp nhận",
                4,
                threshold=0.8,
                target=0.8,
                numerator="digitised",
                denominator="counted",
                numerator_filters=(("digitised", "true"),),
            ),
            Indicator("e_certified_copies", "Cấp bản sao điện tử, chứng thực điện tử", 2),
            Indicator("data_reuse", "Khai thác, tái sử dụng dữ liệu số hóa", 2, target=0.5),
            Indicator("personal_data_warehouse", "Kết nối Kho dữ liệu cá nhân, tổ chức", 4),
            Indicator("population_database", "Khai thác Cơ sở dữ liệu quốc gia về dân cư", 4),
        ),
    ),
    Group(
        "truc_tuyen",
        "Cung cấp dịch vụ trực tuyến",
        22,
        (
            Indicator(
                "full_online",
                "Hồ sơ trực tuyến toàn trình / hồ sơ của TTHC cung cấp DVC trực tuyến toàn trình",
                12,
                threshold=0.8,
                target=0.8,
                numerator="full_online",
                denominator="eligible",
                numerator_filters=(("full_online", "true"), ("channel", "online")),
                denominator_filters=(("full_online", "true"),),
            ),
            Indicator(
                "online_payment",
                "Hồ sơ thanh toán trực tuyến / hồ sơ có nộp phí, lệ phí",
                6,
                threshold=0.6,
                target=0.6,
                numerator="paid_online",
                denominator="paid",
                numerator_filters=(("returned", "true"), ("fee_payment", "online")),
                denominator_filters=_PAID,
            ),
            Indicator("online_payment_services", "TTHC tích hợp thanh toán trực tuyến trên Cổng DVC", 4),
            Indicator(
                "online_share",
                "Hồ sơ tiếp nhận trực tuyến / tổng số hồ sơ (không chấm điểm)",
                0,
                threshold=0.5,
                target=0.6,
                numerator="online",
                denominator="counted",
                numerator_filters=(("channel", "online"),),
            ),
        ),
    ),
    Group(
        "hai_long",
        "Mức độ hài lòng",
        18,
        (
            Indicator("pakn_on_time", "Xử lý phản ánh, kiến nghị đúng hạn", 6, target=1.0),
            Indicator("pakn_satisfaction", "Hài lòng về xử lý phản ánh, kiến nghị", 6, target=0.9),
            Indicator("tthc_satisfaction", "Hài lòng trong thực hiện TTHC", 6, threshold=0.9, target=0.9),
        ),
    ),
)

# (lowest scaled points, rating), best first; see the module's docstring for the sources.
RATINGS = ((90.0, "Xuất sắc"), (80.0, "Tốt"), (70.0, "Khá"), (50.0, "Trung bình"), (0.0, "Yếu"))
GOOD = 80.0  # the seed's target: "Tốt" for every unit [S 9.4]


def points(rate: float, max_points: float, threshold: float | None) -> float:
    """At or above the threshold the maximum; below it rate x maximum / threshold."""
    threshold = threshold or 1.0
    return float(max_points) if rate >= threshold else rate * max_points / threshold


def rating(scaled: float) -> str:
    return next(name for lowest, name in RATINGS if scaled >= lowest)
