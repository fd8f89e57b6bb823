"""PartiQL for DynamoDB as the Developer Guide's "PartiQL - a SQL-compatible query language for Amazon DynamoDB"
pages use it (the Music table: Artist + SongTitle): insert, select, update, delete statements, batches and
transactions. moto's parser answered 500 to ``SET AwardsWon = 1``, ``WHERE ... = ?`` in DELETE and any typo,
overwrote an existing item on INSERT and failed every BatchExecuteStatement on a quoted table name."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return exc.value.response["Error"]["Code"]


@pytest.fixture
def music(aws, unique_name):
    ddb = aws.client("dynamodb")
    ddb.create_table(
        TableName=unique_name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("Artist", "SongTitle", "Genre")],
        GlobalSecondaryIndexes=[{"IndexName": "ByGenre", "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    return ddb, unique_name


def test_insert_select_update_delete(music):
    ddb, table = music
    run = lambda statement, *parameters: ddb.execute_statement(  # noqa: E731
        Statement=statement.replace("Music", f'"{table}"'), **({"Parameters": list(parameters)} if parameters else {}))
    run("INSERT INTO Music VALUE {'Artist': 'Acme Band', 'SongTitle': 'PartiQL Rocks', 'AwardsWon': 1, "
        "'Tags': ['rock', 'live'], 'Info': {'Year': 2021}}")
    run("INSERT INTO Music VALUE {'Artist': ?, 'SongTitle': ?, 'Genre': ?}",
        {"S": "Acme Band"}, {"S": "Second"}, {"S": "Pop"})
    assert _code(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'Artist': 'Acme Band', "
                                                  f"'SongTitle': 'PartiQL Rocks'}}") == "DuplicateItemException"
    run("UPDATE Music SET AwardsWon = 10 SET Studio = 'Hall' WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks'")
    run("UPDATE Music SET AwardsWon = AwardsWon + 1 REMOVE Studio WHERE Artist = ? AND SongTitle = ?",
        {"S": "Acme Band"}, {"S": "PartiQL Rocks"})
    item = run("SELECT * FROM Music WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks'")["Items"][0]
    assert item["AwardsWon"] == {"N": "11"} and "Studio" not in item and item["Info"] == {"M": {"Year": {"N": "2021"}}}
    assert run("SELECT SongTitle FROM Music WHERE Artist = 'Acme Band' AND AwardsWon > 5")["Items"] == [
        {"SongTitle": {"S": "PartiQL Rocks"}}]
    assert run("SELECT * FROM Music WHERE Artist = 'Acme Band' AND begins_with(SongTitle, 'Sec')"
               )["Items"][0]["SongTitle"] == {"S": "Second"}
    by_genre = run(f'SELECT * FROM Music."ByGenre" WHERE Genre = ?', {"S": "Pop"})["Items"]
    assert by_genre == [{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Second"}, "Genre": {"S": "Pop"}}]
    returned = run("UPDATE Music SET AwardsWon = 0 WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks' "
                   "RETURNING MODIFIED OLD *")["Items"]
    assert returned == [{"AwardsWon": {"N": "11"}}]
    assert _code(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET AwardsWon = 1 WHERE Artist = 'Nobody' "
                                                  "AND SongTitle = 'x'") == "ConditionalCheckFailedException"
    assert _code(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET AwardsWon = 1 WHERE Artist = 'Acme Band'"
                 ) == "ValidationException"  # the whole primary key must be given
    run("DELETE FROM Music WHERE Artist = ? AND SongTitle = ?", {"S": "Acme Band"}, {"S": "Second"})
    assert [i["SongTitle"]["S"] for i in run("SELECT * FROM Music")["Items"]] == ["PartiQL Rocks"]


def test_malformed_statements_are_validation_errors(music):
    ddb, table = music
    for statement in (f'SELEC * FROM "{table}"', f'SELECT * FROM "{table}" WHERE', f'UPDATE "{table}" WHERE a = 1',
                      f"INSERT INTO \"{table}\" VALUE {{'Artist': 'a'", ""):
        assert _code(ddb.execute_statement, Statement=statement or " ") == "ValidationException", statement
    assert _code(ddb.execute_statement, Statement=f'SELECT * FROM "{table}" WHERE Artist = ?') == "ValidationException"
    assert _code(ddb.execute_statement, Statement='SELECT * FROM "no-such-table"') == "ResourceNotFoundException"


def test_select_pages_with_limit_and_next_token(music):
    ddb, table = music
    for i in range(7):
        ddb.put_item(TableName=table, Item={"Artist": {"S": "a"}, "SongTitle": {"S": f"s{i}"}})
    seen, token = [], None
    while True:
        page = ddb.execute_statement(Statement=f'SELECT * FROM "{table}"', Limit=3, **({"NextToken": token} if token else {}))
        seen += [i["SongTitle"]["S"] for i in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == [f"s{i}" for i in range(7)]


def test_batch_and_transaction(music):
    ddb, table = music
    writes = ddb.batch_execute_statement(Statements=[
        {"Statement": f'INSERT INTO "{table}" VALUE {{\'Artist\': ?, \'SongTitle\': ?}}',
         "Parameters": [{"S": "b"}, {"S": str(i)}]} for i in range(3)] + [
        {"Statement": f'UPDATE "{table}" SET x = 1 WHERE Artist = \'none\' AND SongTitle = \'none\''}])
    assert [r.get("Error", {}).get("Code") for r in writes["Responses"]] == [None, None, None, "ConditionalCheckFailed"]
    reads = ddb.batch_execute_statement(Statements=[
        {"Statement": f'SELECT * FROM "{table}" WHERE Artist = ? AND SongTitle = ?', "Parameters": [{"S": "b"}, {"S": s}]}
        for s in ("0", "9")])["Responses"]
    assert reads[0]["Item"]["SongTitle"] == {"S": "0"} and "Item" not in reads[1] and "Error" not in reads[1]
    with pytest.raises(ClientError) as exc:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'INSERT INTO "{table}" VALUE {{\'Artist\': \'t\', \'SongTitle\': \'1\'}}'},
            {"Statement": f'INSERT INTO "{table}" VALUE {{\'Artist\': \'b\', \'SongTitle\': \'0\'}}'}])
    assert exc.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in exc.value.response["CancellationReasons"]] == ["None", "DuplicateItem"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"Artist": {"S": "t"}, "SongTitle": {"S": "1"}})
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f'INSERT INTO "{table}" VALUE {{\'Artist\': \'t\', \'SongTitle\': \'1\'}}'},
        {"Statement": f'DELETE FROM "{table}" WHERE Artist = \'b\' AND SongTitle = \'0\''}])
    assert "Item" in ddb.get_item(TableName=table, Key={"Artist": {"S": "t"}, "SongTitle": {"S": "1"}})
    assert "Item" not in ddb.get_item(TableName=table, Key={"Artist": {"S": "b"}, "SongTitle": {"S": "0"}})


def test_select_order_by_the_sort_key(music):
    """Developer Guide, "PartiQL select statements for DynamoDB": ``ORDER BY key [ASC|DESC]`` orders the items
    of a partition by its sort key (the sandbox answered ValidationException)."""
    ddb, table = music
    for title in ("b", "c", "a"):
        ddb.put_item(TableName=table, Item={"Artist": {"S": "x"}, "SongTitle": {"S": title}})
    newest = ddb.execute_statement(Statement=f'SELECT SongTitle FROM "{table}" WHERE Artist = ? ORDER BY SongTitle DESC',
                                   Parameters=[{"S": "x"}])["Items"]
    assert [i["SongTitle"]["S"] for i in newest] == ["c", "b", "a"]
