def test_every_console_page_renders_for_a_csr(cast, client_for):
    client = client_for(cast.bob)
    for url in [
        "/",
        "/subscribers/new/",
        "/subscribers/?q=sam",
        f"/subscribers/{cast.sam.public_id}/",
        f"/subscribers/{cast.sam.public_id}/edit/",
        f"/subscribers/{cast.sam.public_id}/created/",
        "/audit/",
        "/staff/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
