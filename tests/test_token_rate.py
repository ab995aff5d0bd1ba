"""evals/token_rate.py: characters per token, the measure behind the prompt's English scale."""
from evals.token_rate import rate


def test_rate_is_characters_per_token_over_all_texts():
    def four_a_token(text: str) -> int:
        return -(-len(text) // 4)

    assert rate(["abcdefgh", "abcd"], four_a_token) == 4.0
    # one token a character, as for Chinese text
    assert rate(["淡水河"], len) == 1.0
